/* fuzz.h: what every fuzz target in fuzz/ shares.
 *
 * Each fuzz_*.c defines the libFuzzer entry point for one input surface
 * (docs/fuzzing.md lists them). Built with VOC_FUZZ=ON the entry point is
 * driven by libFuzzer; otherwise standalone.c supplies a main() that feeds
 * it every file of the corpus directories it is given, so the plain and
 * sanitizer builds replay every kept input under ctest. */
#ifndef VOC_FUZZ_H
#define VOC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Run one input; always returns 0 (libFuzzer reserves other values). A bug
 * shows as a crash, a sanitizer report or a leak, never as a return code. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional one-time set-up, called before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Silence voc's logging (a target that logs per input is slow and noisy). */
void voc_fuzz_quiet(void);

/* A NUL-terminated copy of data[0..size). Caller owns; free with free(). */
char *voc_fuzz_cstr(const uint8_t *data, size_t size);

/* Split data at the first occurrence of sep (a NUL-terminated string):
 * *head_len is the length before it and *tail / *tail_len what follows.
 * Without sep the head is everything and the tail empty. Borrowed views. */
void voc_fuzz_split(const uint8_t *data, size_t size, const char *sep, size_t *head_len,
                    const uint8_t **tail, size_t *tail_len);

/* Abort with a message: an oracle in a target found a broken invariant. */
void voc_fuzz_fail(const char *what) __attribute__((noreturn));

#endif

/* proc.h: helpers for integration tests that start the real voc executables:
 * spawn with output captured to files, wait against a deadline (never a bare
 * sleep), run a command to completion, temporary directories. */
#ifndef VOC_TEST_PROC_H
#define VOC_TEST_PROC_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct vt_proc {
    pid_t pid;
    int status; /* exit status once reaped, else -1 */
} vt_proc;

/* Start argv[0] (a path) with stdout and stderr appended to the given files
 * (NULL: /dev/null). Returns 0 or -1. */
int vt_spawn(vt_proc *p, char *const argv[], const char *out_path, const char *err_path);

/* Wait up to timeout_ms for exit; returns the exit status (128+sig when
 * killed) or -1 on timeout. */
int vt_wait(vt_proc *p, int timeout_ms);

/* Send sig, then wait up to timeout_ms; SIGKILL after that. Returns status. */
int vt_stop(vt_proc *p, int sig, int timeout_ms);

/* Run to completion (killed after timeout_ms); stdout and stderr captured
 * into malloc'ed strings when out/err are not NULL. Returns exit status. */
int vt_run(char *const argv[], int timeout_ms, char **out, char **err);

/* Poll until path exists (true) or the deadline passes (false). */
bool vt_wait_for_path(const char *path, int timeout_ms);

/* Poll until the file at path contains needle. */
bool vt_wait_for_text(const char *path, const char *needle, int timeout_ms);

/* $VOC_BIN_DIR/name, $VOC_SOURCE_DIR/rel, $VOC_TEST_DATA/rel: malloc'ed. */
char *vt_bin(const char *name);
char *vt_source(const char *rel);
char *vt_data(const char *rel);

/* A new private directory under /tmp; remove with vt_rmtree. */
char *vt_tmpdir(const char *tag);
void vt_rmtree(const char *dir);

/* Whole file as a malloc'ed string (NULL if unreadable). */
char *vt_read_file(const char *path);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int vt_free_port(void);

#endif

/* collect.h: subcommands of voc-collect, one function each, listed in one
 * table in main.c. */
#ifndef VOC_COLLECT_H
#define VOC_COLLECT_H

/* voc-collect file PATH... : import JSON Lines / CSV files. argv[0] is the
 * subcommand name. Returns an exit status (0, 1 runtime, 2 usage). */
int voc_collect_cmd_file(int argc, char **argv);

/* voc-collect http: the webhook and item API receiver. */
int voc_collect_cmd_http(int argc, char **argv);

/* Default outbox path for a collector role ("file", "http"): $VOC_OUTBOX,
 * else $XDG_STATE_HOME/voc/ROLE-outbox.db, else ~/.local/state/voc/...
 * Caller owns; free(). */
char *voc_collect_default_outbox(const char *role);

#endif

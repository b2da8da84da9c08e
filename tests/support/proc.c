/* proc.c: integration-test process helpers (see proc.h). */
#include "tests/support/proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_nap(void)
{
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
}

int vt_spawn(vt_proc *p, char *const argv[], const char *out_path, const char *err_path)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path : "/dev/null",
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path ? err_path : "/dev/null",
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    int rc = posix_spawn(&p->pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    p->status = -1;
    return rc == 0 ? 0 : -1;
}

static int s_decode_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

int vt_wait(vt_proc *p, int timeout_ms)
{
    if (p->status >= 0)
        return p->status;
    long long deadline = s_now_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->status = s_decode_status(st);
            return p->status;
        }
        if (r < 0 && errno != EINTR)
            return -1;
        if (s_now_ms() > deadline)
            return -1;
        s_nap();
    }
}

int vt_stop(vt_proc *p, int sig, int timeout_ms)
{
    if (p->status >= 0)
        return p->status;
    kill(p->pid, sig);
    int st = vt_wait(p, timeout_ms);
    if (st < 0) {
        kill(p->pid, SIGKILL);
        st = vt_wait(p, 5000);
    }
    return st;
}

int vt_run(char *const argv[], int timeout_ms, char **out, char **err)
{
    char *dir = vt_tmpdir("run");
    char op[256], ep[256];
    snprintf(op, sizeof op, "%s/out", dir);
    snprintf(ep, sizeof ep, "%s/err", dir);
    vt_proc p;
    int st = -1;
    if (vt_spawn(&p, argv, op, ep) == 0) {
        st = vt_wait(&p, timeout_ms);
        if (st < 0)
            st = vt_stop(&p, SIGKILL, 1000);
    }
    if (out)
        *out = vt_read_file(op);
    if (err)
        *err = vt_read_file(ep);
    vt_rmtree(dir);
    free(dir);
    return st;
}

bool vt_wait_for_path(const char *path, int timeout_ms)
{
    long long deadline = s_now_ms() + timeout_ms;
    struct stat st;
    while (stat(path, &st) != 0) {
        if (s_now_ms() > deadline)
            return false;
        s_nap();
    }
    return true;
}

bool vt_wait_for_text(const char *path, const char *needle, int timeout_ms)
{
    long long deadline = s_now_ms() + timeout_ms;
    for (;;) {
        char *s = vt_read_file(path);
        bool found = s && strstr(s, needle);
        free(s);
        if (found)
            return true;
        if (s_now_ms() > deadline)
            return false;
        s_nap();
    }
}

static char *s_join(const char *env, const char *fallback, const char *rel)
{
    const char *base = getenv(env);
    if (!base)
        base = fallback;
    size_t n = strlen(base) + strlen(rel) + 2;
    char *s = malloc(n);
    snprintf(s, n, "%s/%s", base, rel);
    return s;
}

char *vt_bin(const char *name)
{
    return s_join("VOC_BIN_DIR", "build/bin", name);
}

char *vt_source(const char *rel)
{
    return s_join("VOC_SOURCE_DIR", ".", rel);
}

char *vt_data(const char *rel)
{
    return s_join("VOC_TEST_DATA", "tests/data", rel);
}

char *vt_tmpdir(const char *tag)
{
    char tmpl[128];
    snprintf(tmpl, sizeof tmpl, "/tmp/voc-%s-XXXXXX", tag);
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

void vt_rmtree(const char *dir)
{
    if (!dir || strncmp(dir, "/tmp/voc-", 9) != 0)
        return; /* refuse anything we did not make */
    char *argv[] = {"/bin/rm", "-rf", (char *)dir, NULL};
    pid_t pid;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) == 0)
        waitpid(pid, NULL, 0);
}

char *vt_read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[len] = '\0';
    fclose(fp);
    return buf;
}

int vt_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

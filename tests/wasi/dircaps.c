/* Directory fds as capabilities: paths through a directory fd stay beneath it. Absolute paths,
 * ".." above it and symlinks that lead out fail with EPERM (wasmtime; node:wasi says
 * ENOTCAPABLE), through every *at() call; symlinks with absolute targets cannot be made. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

/* Raw path_open (wasi-libc's openat() resolves an absolute path from the preopens, as POSIX
 * says it ignores the dirfd, so absolute paths reach a directory fd only this way). */
static void raw_open(const char *label, int dir, const char *path) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    printf("%s: %s\n", label, errname(e));
    if (e == 0) close(fd);
}

/* The preopen named "/". */
static int root_preopen(void) {
    __wasi_prestat_t ps;
    char name[2];
    for (int fd = 3; __wasi_fd_prestat_get(fd, &ps) == 0; fd++)
        if (ps.u.dir.pr_name_len == 1 && __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, 1) == 0 && name[0] == '/')
            return fd;
    return -1;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) { printf("opendir %s: %s\n", path, errname(errno)); return; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("%s:", path);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
}

static void put(const char *p, const char *text) {
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (write(fd, text, strlen(text)) < 0) printf("write %s failed\n", p);
    close(fd);
}

static void read_at(const char *label, int dir, const char *path) {
    errno = 0;
    int fd = openat(dir, path, O_RDONLY);
    char buf[32] = {0};
    if (fd < 0) { printf("%s: %s\n", label, errname(errno)); return; }
    printf("%s: ok [%.*s]\n", label, (int)read(fd, buf, sizeof buf - 1), buf);
    close(fd);
}

int main(void) {
    mkdir("/cap", 0755);
    mkdir("/cap/in", 0755);
    mkdir("/outside", 0755);
    put("/cap/in/ok.txt", "fine");
    put("/outside/secret", "top secret");
    CHECK("symlink relative in", symlink("in/ok.txt", "/cap/rel-ok"));
    CHECK("symlink relative out", symlink("../outside/secret", "/cap/rel-out"));
    CHECK("symlink out and back", symlink("../cap/in/ok.txt", "/cap/roundtrip"));
    CHECK("symlink to ..", symlink("..", "/cap/in/up"));
    CHECK("symlink above /", symlink("../../outside/secret", "/cap/over"));
    /* cap-std refuses absolute targets (wasmtime p1_symlink_create); Linux and node:wasi store them. */
    CHECK("symlink absolute target", symlink("/outside/secret", "/cap/abs"));
    CHECK("symlink to /", symlink("/", "/cap/root"));

    int d = open("/cap", O_RDONLY | O_DIRECTORY);
    CHECK("open /cap", d);
    read_at("in/ok.txt", d, "in/ok.txt");
    read_at("rel-ok", d, "rel-ok");
    read_at("in/../in/ok.txt", d, "in/../in/ok.txt");
    read_at("in/up/rel-ok", d, "in/up/rel-ok");
    read_at(".//in///ok.txt", d, ".//in///ok.txt");
    /* Ways out, each refused. */
    read_at("..", d, "..");
    read_at("../outside/secret", d, "../outside/secret");
    read_at("in/../../outside/secret", d, "in/../../outside/secret");
    read_at("in/../../..", d, "in/../../..");
    read_at("../cap/in/ok.txt", d, "../cap/in/ok.txt");
    raw_open("absolute /outside/secret", d, "/outside/secret");
    raw_open("absolute /cap/in/ok.txt", d, "/cap/in/ok.txt");
    raw_open("absolute /", d, "/");
    read_at("rel-out", d, "rel-out");
    read_at("roundtrip", d, "roundtrip");
    struct stat st;
    CHECK("fstatat rel-out", fstatat(d, "rel-out", &st, 0));
    CHECK("fstatat rel-out nofollow", fstatat(d, "rel-out", &st, AT_SYMLINK_NOFOLLOW));
    char target[64] = {0};
    printf("readlinkat rel-out: %zd [%s]\n", readlinkat(d, "rel-out", target, sizeof target), target);
    CHECK("readlinkat ../cap/rel-out", readlinkat(d, "../cap/rel-out", target, sizeof target));
    CHECK("mkdirat ../made", mkdirat(d, "../made", 0755));
    CHECK("unlinkat ../outside/secret", unlinkat(d, "../outside/secret", 0));
    CHECK("unlinkat in/up/../../outside/secret", unlinkat(d, "in/up/../../outside/secret", 0));
    CHECK("unlinkat rmdir ../outside", unlinkat(d, "../outside", AT_REMOVEDIR));
    CHECK("renameat out", renameat(d, "in/ok.txt", d, "../stolen"));
    CHECK("renameat in", renameat(d, "../outside/secret", d, "stolen"));
    CHECK("linkat out", linkat(d, "in/ok.txt", d, "../hard", 0));
    CHECK("linkat in", linkat(d, "../outside/secret", d, "hard", 0));
    CHECK("symlinkat placed outside", symlinkat("x", d, "../planted"));
    CHECK("openat creat ../new", openat(d, "../new", O_CREAT | O_WRONLY, 0644));
    CHECK("utimensat ../outside/secret", utimensat(d, "../outside/secret", NULL, 0));
    /* A directory fd opened through another is its own capability. */
    int in = openat(d, "in", O_RDONLY | O_DIRECTORY);
    read_at("from in: ok.txt", in, "ok.txt");
    read_at("from in: ../rel-ok", in, "../rel-ok");
    read_at("from in: up/rel-ok", in, "up/rel-ok");
    close(in);
    close(d);

    /* Through the root preopen (wasi-libc turns "/x" into "x" relative to the "/" preopen):
     * a relative link resolves as long as it stays inside "/"; ".." above "/" is refused, as
     * wasmtime refuses it (Linux would stay at "/"). */
    read_at("/cap/rel-out via /", AT_FDCWD, "/cap/rel-out");
    read_at("/cap/over via /", AT_FDCWD, "/cap/over");
    read_at("/../outside/secret", AT_FDCWD, "/../outside/secret");
    read_at("/cap/in/../../outside/secret", AT_FDCWD, "/cap/in/../../outside/secret");
    int root = root_preopen();
    printf("root preopen found: %d\n", root >= 3);
    raw_open("root preopen: absolute /outside/secret", root, "/outside/secret");
    raw_open("root preopen: ../outside/secret", root, "../outside/secret");
    raw_open("root preopen: cap/over", root, "cap/over");
    raw_open("root preopen: outside/secret", root, "outside/secret");
    /* Nothing was made, moved or removed outside /cap, nothing planted inside. */
    const char *absent[] = {"/made", "/stolen", "/hard", "/planted", "/new", "/cap/stolen", "/cap/hard", "/cap/abs", "/cap/root"};
    for (unsigned i = 0; i < sizeof absent / sizeof *absent; i++) {
        char label[48];
        snprintf(label, sizeof label, "stat %s", absent[i]);
        CHECK(label, lstat(absent[i], &st));
    }
    list("/cap");
    list("/cap/in");
    list("/outside");
    return 0;
}

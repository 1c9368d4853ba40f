/* WASI rights (witx `rights`): each fd call needs its own right, fd_fdstat_set_rights only
 * removes rights, path_open's rights are bounded by the directory's inheriting rights, and a
 * directory fd refuses the byte-stream calls. Raw preview1 calls through <wasi/api.h>; every
 * line is "call: ERRNAME" (wasi-libc's errno values are WASI's). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>
#include "check.h"

#define W(name, expr) printf("%s: %s\n", name, errname(expr))
#define FILE_RIGHTS                                                                                         \
    (__WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |                           \
     __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_TELL |                  \
     __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE |                       \
     __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |                                 \
     __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_POLL_FD_READWRITE)

static char buf[16];
static __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
static const __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};

/* Every fd call that needs a right, run on fd; prints one line each with the given prefix. */
static void every_call(const char *prefix, int fd) {
    size_t n;
    __wasi_filesize_t off;
    __wasi_filestat_t st;
    char name[64];
#define C(call, expr) (snprintf(name, sizeof name, "%s %s", prefix, call), W(name, expr))
    C("fd_read", __wasi_fd_read(fd, &iov, 1, &n));
    C("fd_write", __wasi_fd_write(fd, &ciov, 1, &n));
    C("fd_pread", __wasi_fd_pread(fd, &iov, 1, 0, &n));
    C("fd_pwrite", __wasi_fd_pwrite(fd, &ciov, 1, 0, &n));
    C("fd_seek set", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &off));
    C("fd_seek cur", __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &off));
    C("fd_seek end", __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &off));
    C("fd_tell", __wasi_fd_tell(fd, &off));
    C("fd_fdstat_set_flags", __wasi_fd_fdstat_set_flags(fd, 0));
    C("fd_sync", __wasi_fd_sync(fd));
    C("fd_datasync", __wasi_fd_datasync(fd));
    C("fd_advise", __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_DONTNEED));
    C("fd_allocate", __wasi_fd_allocate(fd, 0, 1));
    C("fd_filestat_set_size", __wasi_fd_filestat_set_size(fd, 1));
    C("fd_filestat_get", __wasi_fd_filestat_get(fd, &st));
    C("fd_filestat_set_times", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
#undef C
}

static int fresh(void) {
    int fd = open("/r/f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(fd, "hello", 5) != 5) printf("write failed\n");
    return fd;
}

int main(void) {
    mkdir("/r", 0755);
    __wasi_fdstat_t st;

    /* Dropping FD_READ and FD_WRITE: reads and writes of every kind are refused, the other
     * rights stay (wasi-testsuite fd_fdstat_set_rights: FD_SEEK survives). */
    int fd = fresh();
    W("fdstat", __wasi_fd_fdstat_get(fd, &st));
    printf("file has all file rights: %d\n", (st.fs_rights_base & FILE_RIGHTS) == FILE_RIGHTS);
    W("drop read+write", __wasi_fd_fdstat_set_rights(fd, st.fs_rights_base & ~(__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE), st.fs_rights_inheriting));
    every_call("no read/write:", fd);
    CHECK("read() without FD_READ", read(fd, buf, 1));
    CHECK("write() without FD_WRITE", write(fd, "x", 1));
    struct stat sb;
    fstat(fd, &sb);
    printf("size after the calls: %lld\n", (long long)sb.st_size);
    W("regain read+write", __wasi_fd_fdstat_set_rights(fd, st.fs_rights_base, st.fs_rights_inheriting));
    W("add an undefined right", __wasi_fd_fdstat_set_rights(fd, (1ull << 40), 0));
    W("drop all", __wasi_fd_fdstat_set_rights(fd, 0, 0));
    every_call("no rights:", fd);
    CHECK("fstat() without FD_FILESTAT_GET", fstat(fd, &sb));
    W("fdstat needs no right", __wasi_fd_fdstat_get(fd, &st));
    printf("rights left: %llu %llu\n", (unsigned long long)st.fs_rights_base, (unsigned long long)st.fs_rights_inheriting);
    close(fd);
    stat("/r/f", &sb);
    printf("size after the refused calls: %lld\n", (long long)sb.st_size);

    /* Open mode before rights: a write-only fd reads EBADF, a read-only fd writes EBADF. */
    fd = open("/r/f", O_WRONLY);
    CHECK("read() on O_WRONLY", read(fd, buf, 1));
    close(fd);
    fd = open("/r/f", O_RDONLY);
    CHECK("write() on O_RDONLY", write(fd, "x", 1));
    close(fd);

    /* path_open: the new fd gets at most the directory's inheriting rights. */
    int d = open("/r", O_RDONLY | O_DIRECTORY);
    __wasi_fdstat_t dst;
    W("dir fdstat", __wasi_fd_fdstat_get(d, &dst));
    W("dir drops inheriting FD_WRITE", __wasi_fd_fdstat_set_rights(d, dst.fs_rights_base, dst.fs_rights_inheriting & ~__WASI_RIGHTS_FD_WRITE));
    __wasi_fd_t nf;
    W("path_open asking FD_WRITE", __wasi_path_open(d, 0, "f", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &nf));
    W("path_open asking FD_READ", __wasi_path_open(d, 0, "f", 0, __WASI_RIGHTS_FD_READ, 0, 0, &nf));
    close(nf);
    fd = openat(d, "f", O_RDWR);
    CHECK("openat O_RDWR", fd);
    CHECK("its write()", write(fd, "x", 1));
    CHECK("its read()", read(fd, buf, 1));
    close(fd);
    W("dir tries to regain FD_WRITE", __wasi_fd_fdstat_set_rights(d, dst.fs_rights_base, dst.fs_rights_inheriting));
    W("dir drops PATH_CREATE_DIRECTORY", __wasi_fd_fdstat_set_rights(d, dst.fs_rights_base & ~__WASI_RIGHTS_PATH_CREATE_DIRECTORY, 0));
    CHECK("mkdirat without the right", mkdirat(d, "sub", 0755));
    CHECK("openat with no inheriting rights", openat(d, "f", O_RDONLY));
    close(d);

    /* A directory fd refuses the byte-stream calls. */
    d = open("/r", O_RDONLY | O_DIRECTORY);
    every_call("directory:", d);
    CHECK("read() on a directory", read(d, buf, 1));
    CHECK("lseek() on a directory", lseek(d, 0, SEEK_CUR));
    close(d);
    unlink("/r/f");
    return 0;
}

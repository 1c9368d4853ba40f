/* WASI call throughput, measured inside the app with CLOCK_MONOTONIC so the same binary gives
 * comparable numbers under osv-ts and node:wasi. Prints "name ns_per_op" lines. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    mkdir("/bench", 0755);
    int fd = open("/bench/small", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "0123456789abcdef", 16);
    close(fd);

    int n = 20000 * scale;
    int devnull = open("/bench/sink", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    double t0 = now_ns();
    for (int i = 0; i < n; i++) write(devnull, "x", 1);
    printf("fd_write_1B_file %.1f\n", (now_ns() - t0) / n);
    close(devnull);

    t0 = now_ns();
    struct timespec ts;
    for (int i = 0; i < n; i++) clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("clock_time_get %.1f\n", (now_ns() - t0) / n);

    char buf[64];
    int m = 5000 * scale;
    t0 = now_ns();
    for (int i = 0; i < m; i++) { int f = open("/bench/small", O_RDONLY); read(f, buf, sizeof buf); close(f); }
    printf("open_read_close %.1f\n", (now_ns() - t0) / m);

    struct stat st;
    t0 = now_ns();
    for (int i = 0; i < m; i++) stat("/bench/small", &st);
    printf("path_filestat_get %.1f\n", (now_ns() - t0) / m);

    /* Sequential read of a 64 MiB file in 64 KiB reads (written first). */
    size_t total = 64u << 20, chunk = 64u << 10;
    char *block = malloc(chunk);
    memset(block, 'z', chunk);
    fd = open("/bench/big", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    for (size_t done = 0; done < total; done += chunk) write(fd, block, chunk);
    close(fd);
    fd = open("/bench/big", O_RDONLY);
    t0 = now_ns();
    size_t got = 0;
    ssize_t r;
    while ((r = read(fd, block, chunk)) > 0) got += r;
    double secs = (now_ns() - t0) / 1e9;
    close(fd);
    printf("seq_read_64MiB_MBps %.1f\n", got / secs / 1e6);
    return got == total ? 0 : 1;
}

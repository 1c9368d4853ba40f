/* One WASI call in a loop, timed in three rounds of N calls: the first round shows the cost while
 * the JS side is still being compiled (what bench/wasi/wasi-bench.c measures, each call once), the
 * third the cost once it is optimized. Usage: wasi-rounds.wasm clock|write|pwrite|stat|orc N */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
static double now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char **argv) {
    const char *op = argv[1]; int n = atoi(argv[2]);
    mkdir("/bench", 0755);
    int fd = open("/bench/small", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "0123456789abcdef", 16); close(fd);
    int sink = open("/bench/sink", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    char buf[64]; struct stat st; struct timespec ts;
    for (int round = 0; round < 3; round++) {
    double t0 = now_ns();
    if (!strcmp(op, "write")) for (int i = 0; i < n; i++) write(sink, "x", 1);
    else if (!strcmp(op, "pwrite")) for (int i = 0; i < n; i++) pwrite(sink, "x", 1, 0);
    else if (!strcmp(op, "clock")) for (int i = 0; i < n; i++) clock_gettime(CLOCK_MONOTONIC, &ts);
    else if (!strcmp(op, "orc")) for (int i = 0; i < n; i++) { int f = open("/bench/small", O_RDONLY); read(f, buf, sizeof buf); close(f); }
    else if (!strcmp(op, "stat")) for (int i = 0; i < n; i++) stat("/bench/small", &st);
    printf("%s %.1f\n", op, (now_ns() - t0) / n);
    }
    return 0;
}

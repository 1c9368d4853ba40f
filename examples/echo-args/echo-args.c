/* Prints argv, the environment, stdin's bytes and a few clock/random facts: a smoke test of the
 * WASI calls the foundation provides. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    for (int i = 0; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
    for (char **e = environ; *e; e++) printf("env: %s\n", *e);
    struct timespec mono, real;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    printf("realtime after 2020: %s\n", real.tv_sec > 1577836800 ? "yes" : "no");
    unsigned char r[16];
    if (getentropy(r, sizeof r) != 0) { perror("getentropy"); return 1; }
    printf("isatty(1): %d\n", isatty(1));
    char buf[256];
    size_t total = 0, n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) total += n;
    printf("stdin bytes: %zu\n", total);
    return 0;
}

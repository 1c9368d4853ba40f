/* argv, environment, getrandom/getentropy, isatty on redirected stdio, exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


int main(int argc, char **argv) {
    printf("argc %d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d] [%s]\n", i, argv[i]);
    const char *v = getenv("CONF_VALUE");
    printf("CONF_VALUE %s\n", v ? v : "(unset)");
    unsigned char buf[4096];
    memset(buf, 0, sizeof buf);
    int n = getentropy(buf, 256) == 0 && getentropy(buf + 256, 256) == 0 ? 512 : -1;
    int zeros = 0;
    for (int i = 0; i < 512; i++) zeros += buf[i] == 0;
    printf("getentropy %d bytes, looks random: %d\n", n, zeros < 20);
    printf("isatty(1) %d\n", isatty(1));
    fprintf(stderr, "to stderr\n");
    exit(argc > 1 ? atoi(argv[1]) : 0);
}

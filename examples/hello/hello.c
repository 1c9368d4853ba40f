/* The first osv-ts app: prints a greeting and its arguments. */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("Hello from osv-ts!\n");
    for (int i = 0; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
    return 0;
}

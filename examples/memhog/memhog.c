/* Allocates memory until malloc fails, as a guest under `osv run -m` would.
 *   memhog            1 MiB blocks until malloc returns NULL
 *   memhog -s STEP    STEP MiB blocks until malloc returns NULL
 *   memhog SIZE       one block of SIZE MiB
 * Every block is touched (so it is really used) and linked into a list (so the compiler cannot
 * drop it). Prints what it got; exits 1 when an allocation failed, 0 otherwise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB ((size_t)1024 * 1024)

struct block {
    struct block *next;
};
static struct block *volatile blocks;

static void *take(size_t mib) {
    char *p = malloc(mib * MIB);
    if (p == NULL) return NULL;
    memset(p, 1, mib * MIB);
    ((struct block *)p)->next = blocks;
    blocks = (struct block *)p;
    return p;
}

int main(int argc, char **argv) {
    size_t step = 1;
    if (argc > 2 && strcmp(argv[1], "-s") == 0) {
        step = strtoul(argv[2], NULL, 10);
    } else if (argc > 1) {
        size_t mib = strtoul(argv[1], NULL, 10);
        if (take(mib) == NULL) {
            fprintf(stderr, "memhog: malloc(%zu MiB) failed: %s\n", mib, strerror(errno));
            return 1;
        }
        printf("memhog: malloc(%zu MiB) succeeded\n", mib);
        return 0;
    }
    size_t got = 0;
    /* 8 GiB is more than any wasm32 app can have: reaching it means there was no cap. */
    while (got < 8192) {
        if (take(step) == NULL) {
            fprintf(stderr, "memhog: malloc failed after %zu MiB: %s\n", got, strerror(errno));
            return 1;
        }
        got += step;
    }
    printf("memhog: allocated %zu MiB without a failure\n", got);
    return 0;
}

/* Exits with the status given as its first argument (default 3): osv run must exit with it. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int status = argc > 1 ? atoi(argv[1]) : 3;
    fprintf(stderr, "exiting with status %d\n", status);
    return status;
}

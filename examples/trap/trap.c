/* Traps (wasm `unreachable`) after printing a line: osv run must report it and exit non-zero. */
#include <stdio.h>

int main(void) {
    printf("about to trap\n");
    fflush(stdout);
    __builtin_trap();
}

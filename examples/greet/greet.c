/* Asks for a name on stdin and greets it: an interactive app, for terminals (osv run, or the
 * vm-browser page's xterm.js). Prints "bye" at end of input (Ctrl-D). */
#include <stdio.h>
#include <string.h>

int main(void) {
    char line[256];
    printf("What is your name? ");
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        printf("Hello, %s!\nWhat is your name? ", line);
        fflush(stdout);
    }
    printf("bye\n");
    return 0;
}

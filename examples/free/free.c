/* free(1) for the guest: reads /proc/meminfo, as procps's free does, and prints total, used,
 * free and available memory in KiB (or MiB with -m). With a size in MiB as the last argument
 * it first allocates and touches that much, so the figures show the app's own memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long field(const char *text, const char *name) {
    const char *at = strstr(text, name);
    if (at == NULL) return -1;
    return strtol(at + strlen(name), NULL, 10);
}

int main(int argc, char **argv) {
    int mib = argc > 1 && strcmp(argv[1], "-m") == 0;
    if (argc > 1 + mib) {
        size_t bytes = strtoul(argv[1 + mib], NULL, 10) * 1024 * 1024;
        char *p = malloc(bytes);
        if (p == NULL) {
            fprintf(stderr, "free: cannot allocate %s MiB\n", argv[1 + mib]);
            return 1;
        }
        memset(p, 1, bytes);
        printf("allocated %s MiB at %p\n", argv[1 + mib], (void *)p);
    }
    FILE *f = fopen("/proc/meminfo", "r");
    if (f == NULL) {
        perror("free: /proc/meminfo");
        return 1;
    }
    static char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    long total = field(text, "MemTotal:"), freekb = field(text, "MemFree:"), avail = field(text, "MemAvailable:");
    long buffers = field(text, "Buffers:"), cached = field(text, "Cached:");
    if (total < 0 || freekb < 0) {
        fprintf(stderr, "free: /proc/meminfo has no MemTotal/MemFree\n");
        return 1;
    }
    if (buffers < 0) buffers = 0;
    if (cached < 0) cached = 0;
    if (avail < 0) avail = freekb;
    long used = total - freekb - buffers - cached; /* procps: total - free - buffers - cache */
    int div = mib ? 1024 : 1;
    printf("%15s %11s %11s %11s %11s\n", "total", "used", "free", "buff/cache", "available");
    printf("Mem: %10ld %11ld %11ld %11ld %11ld\n", total / div, used / div, freekb / div, (buffers + cached) / div,
           avail / div);
    return 0;
}

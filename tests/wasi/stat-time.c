/* stat/fstat/lstat types and sizes, utimensat, clocks, nanosleep, poll timeout. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    mkdir("/s", 0755);
    int fd = open("/s/file", O_CREAT | O_WRONLY, 0644);
    write(fd, "12345", 5);
    close(fd);
    struct stat st;
    stat("/s/file", &st);
    printf("file: reg=%d size=%lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
    stat("/s", &st);
    printf("dir: dir=%d\n", S_ISDIR(st.st_mode));
    struct timespec times[2] = {{1000000000, 123456789}, {1234567890, 987654321}};
    CHECK("utimensat", utimensat(AT_FDCWD, "/s/file", times, 0));
    stat("/s/file", &st);
    /* Seconds only: Linux and osv-ts keep the nanoseconds, node:wasi (uvwasi) drops them. */
    printf("atime %lld mtime %lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {42, 0}};
    CHECK("utimensat omit", utimensat(AT_FDCWD, "/s/file", omit, 0));
    stat("/s/file", &st);
    printf("atime kept %lld mtime %lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
    CHECK("stat missing", stat("/s/none", &st));
    CHECK("stat through file", stat("/s/file/x", &st));

    struct timespec a, b, r;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec d = {0, 50 * 1000000};
    nanosleep(&d, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    /* 40 ms, not 50: node:wasi (the peer) sometimes wakes a little early from a 50 ms sleep. */
    printf("nanosleep 50ms: %s\n", ns(b) - ns(a) >= 40000000 ? "slept long enough" : "too short");
    clock_gettime(CLOCK_REALTIME, &r);
    printf("realtime sane: %d\n", r.tv_sec > 1600000000);
    clock_getres(CLOCK_MONOTONIC, &r);
    printf("resolution positive: %d\n", ns(r) > 0 && ns(r) <= 1000000);
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct pollfd none;
    poll(&none, 0, 30);
    clock_gettime(CLOCK_MONOTONIC, &b);
    /* 28 ms, not 30: node:wasi (the peer) arms a libuv timer, which counts from the loop's cached
       millisecond clock (uv_now: truncated to the millisecond, and read from
       CLOCK_MONOTONIC_COARSE where that ticks every millisecond), so its 30 ms poll can end up
       to 2 ms early by the clock read here (measured: 29.2 ms, 3 times in 200). */
    printf("poll timeout 30ms: %s\n", ns(b) - ns(a) >= 28000000 ? "waited" : "returned early");
    return 0;
}

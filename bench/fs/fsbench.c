// File-system benchmark run unchanged in the osv-ts guest and under node:wasi on the host (there
// over zfs-fuse's FUSE mount), timing itself so boot and start-up are not counted.
//   fsbench write DIR MB      sequential write of DIR/big in 1 MiB writes, then fsync
//   fsbench read DIR          sequential read of DIR/big in 1 MiB reads
//   fsbench small DIR N       N files of 1 KiB in DIR/small, one fsync at the end
//   fsbench stat DIR N        stat(2) of DIR/small/f0 .. f<N-1> (made by `small`), each once
//   fsbench nop DIR           nothing (the run's wall time is start-up and exit alone)
// Prints one line: "<what> <ms> <MB/s or files/s>".
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static char buf[1 << 20];

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  char path[512];
  if (!strcmp(argv[1], "write") && argc == 4) {
    long mb = atol(argv[3]);
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(x = x * 1103515245u + 12345u) >> 16; // incompressible
    snprintf(path, sizeof path, "%s/big", argv[2]);
    double t0 = now_ms();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror(path); return 1; }
    for (long i = 0; i < mb; i++) {
      buf[0] = (char)i; // every MiB differs
      if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) { perror("write"); return 1; }
    }
    if (fsync(fd) != 0) { perror("fsync"); return 1; }
    close(fd);
    double ms = now_ms() - t0;
    printf("write %.1f %.1f\n", ms, mb / (ms / 1e3));
    return 0;
  }
  if (!strcmp(argv[1], "read")) {
    snprintf(path, sizeof path, "%s/big", argv[2]);
    double t0 = now_ms();
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return 1; }
    long long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
    close(fd);
    double ms = now_ms() - t0;
    printf("read %.1f %.1f\n", ms, total / 1048576.0 / (ms / 1e3));
    return 0;
  }
  if (!strcmp(argv[1], "small") && argc == 4) {
    long count = atol(argv[3]);
    memset(buf, 'x', 1024);
    snprintf(path, sizeof path, "%s/small", argv[2]);
    double t0 = now_ms();
    if (mkdir(path, 0755) != 0) { perror(path); return 1; }
    int last = -1;
    for (long i = 0; i < count; i++) {
      snprintf(path, sizeof path, "%s/small/f%ld", argv[2], i);
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || write(fd, buf, 1024) != 1024) { perror(path); return 1; }
      if (i + 1 < count) close(fd);
      else last = fd;
    }
    if (last >= 0 && fsync(last) != 0) { perror("fsync"); return 1; } // commits the txg
    if (last >= 0) close(last);
    double ms = now_ms() - t0;
    printf("small %.1f %.1f\n", ms, count / (ms / 1e3));
    return 0;
  }
  if (!strcmp(argv[1], "stat") && argc == 4) {
    long count = atol(argv[3]);
    struct stat st;
    long long bytes = 0;
    double t0 = now_ms();
    for (long i = 0; i < count; i++) {
      snprintf(path, sizeof path, "%s/small/f%ld", argv[2], i);
      if (stat(path, &st) != 0) { perror(path); return 1; }
      bytes += st.st_size;
    }
    double ms = now_ms() - t0;
    if (bytes != count * 1024LL) { fprintf(stderr, "stat: sizes add up to %lld\n", bytes); return 1; }
    printf("stat %.1f %.1f\n", ms, count / (ms / 1e3));
    return 0;
  }
  if (!strcmp(argv[1], "nop")) {
    printf("nop 0 0\n");
    return 0;
  }
  return 2;
}

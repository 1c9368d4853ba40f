// 4 KiB reads of a file, sequential or random, timed inside the app (so boot is not counted).
// usage: iobench FILE seq|rand COUNT
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { perror(argv[1]); return 1; }
  struct stat st;
  fstat(fd, &st);
  long blocks = st.st_size / 4096, count = atol(argv[3]);
  int random = strcmp(argv[2], "rand") == 0;
  static char buf[4096];
  unsigned long long x = 12345; unsigned long sum = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < count; i++) {
    long b = random ? (long)((x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 33) % blocks : i % blocks;
    if (pread(fd, buf, 4096, b * 4096) != 4096) { perror("pread"); return 1; }
    sum += (unsigned char)buf[0];
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.3f ms %lu\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, sum);
  return 0;
}

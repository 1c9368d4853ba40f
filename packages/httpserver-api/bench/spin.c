/* A compute-bound app for the API load bench: xorshift rounds with one system call
 * (clock_gettime) every 100 000 steps, the only points where the kernel can run its threads.
 * Prints how long its rounds took by its own clock, so the boot is not counted. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 2000;
  unsigned x = 1;
  double t0 = now_ms();
  for (long r = 0; r < rounds; r++) {
    for (int i = 0; i < 100000; i++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
    }
    (void)now_ms();
  }
  printf("spin: %ld rounds in %.1f ms (x=%u)\n", rounds, now_ms() - t0, x);
  return 0;
}

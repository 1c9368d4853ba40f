// sleep: prints "sleeping N ms", sleeps (nanosleep → WASI poll_oneoff on a clock), prints
// "awake", and exits. Shows that a sleeping guest costs the host no CPU.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  long ms = argc > 1 ? atol(argv[1]) : 1000;
  printf("sleeping %ld ms\n", ms);
  fflush(stdout);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  if (nanosleep(&ts, NULL) != 0) {
    perror("nanosleep");
    return 1;
  }
  printf("awake\n");
  fflush(stdout);
  return 0;
}

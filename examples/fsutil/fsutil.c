// fsutil: a tiny coreutils for trying file systems in the guest (wasi-libc, POSIX calls only).
//   fsutil cat FILE...          write the files to stdout
//   fsutil ls DIR               one line per entry: type, size, name (sorted)
//   fsutil write FILE TEXT      create/truncate FILE with TEXT
//   fsutil append FILE TEXT     append TEXT to FILE
//   fsutil put FILE TEXT        create/truncate FILE with TEXT, without fsync
//   fsutil cp SRC DST           copy a file (64 KiB reads and writes, then fsync)
//   fsutil many DIR N           create DIR and N files of 1 KiB in it (f0 … fN-1), fsync the last
//   fsutil mkdir DIR | rm FILE | rmdir DIR | mv OLD NEW | ln -s TARGET LINK | ln TARGET LINK
// Several commands may be chained with `,` as a separate word: fsutil write /a x , cat /a
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what, const char *path) {
  fprintf(stderr, "fsutil: %s %s: %s\n", what, path, strerror(errno));
  return 1;
}

static int cat(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail("open", path);
  static char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(1, buf + off, n - off);
      if (w < 0) return fail("write", "stdout");
      off += w;
    }
  }
  close(fd);
  return n < 0 ? fail("read", path) : 0;
}

static int cp(const char *src, const char *dst) {
  int in = open(src, O_RDONLY);
  if (in < 0) return fail("open", src);
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) return fail("open", dst);
  static char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, n - off);
      if (w < 0) return fail("write", dst);
      off += w;
    }
  }
  if (n < 0) return fail("read", src);
  if (fsync(out) != 0) return fail("fsync", dst);
  close(in);
  return close(out) == 0 ? 0 : fail("close", dst);
}

static int many(const char *dir, long n) {
  if (mkdir(dir, 0755) != 0) return fail("mkdir", dir);
  static char kib[1024];
  memset(kib, 'x', sizeof kib);
  char path[1024];
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/f%ld", dir, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return fail("open", path);
    if (write(fd, kib, sizeof kib) != (ssize_t)sizeof kib) return fail("write", path);
    if (i == n - 1 && fsync(fd) != 0) return fail("fsync", path);
    close(fd);
  }
  return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int ls(const char *path) {
  DIR *d = opendir(path);
  if (!d) return fail("opendir", path);
  static char *names[4096];
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) && count < 4096) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[count++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, count, sizeof names[0], cmp);
  for (int i = 0; i < count; i++) {
    char full[1024];
    snprintf(full, sizeof full, "%s/%s", path, names[i]);
    struct stat st;
    if (lstat(full, &st) != 0) return fail("lstat", full);
    char type = S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : S_ISREG(st.st_mode) ? '-' : '?';
    printf("%c %lld %s\n", type, (long long)st.st_size, names[i]);
    free(names[i]);
  }
  return 0;
}

static int put(const char *path, const char *text, int flags, int sync) {
  int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
  if (fd < 0) return fail("open", path);
  size_t len = strlen(text);
  if (write(fd, text, len) != (ssize_t)len) return fail("write", path);
  if (sync && fsync(fd) != 0) return fail("fsync", path);
  return close(fd) == 0 ? 0 : fail("close", path);
}

static int command(int argc, char **argv) {
  if (argc < 1) return 2;
  const char *c = argv[0];
  if (!strcmp(c, "cat")) {
    for (int i = 1; i < argc; i++)
      if (cat(argv[i])) return 1;
    return 0;
  }
  if (!strcmp(c, "ls") && argc == 2) return ls(argv[1]);
  if (!strcmp(c, "write") && argc == 3) return put(argv[1], argv[2], O_TRUNC, 1);
  if (!strcmp(c, "append") && argc == 3) return put(argv[1], argv[2], O_APPEND, 1);
  if (!strcmp(c, "put") && argc == 3) return put(argv[1], argv[2], O_TRUNC, 0);
  if (!strcmp(c, "mkdir") && argc == 2) return mkdir(argv[1], 0755) ? fail("mkdir", argv[1]) : 0;
  if (!strcmp(c, "rm") && argc == 2) return unlink(argv[1]) ? fail("unlink", argv[1]) : 0;
  if (!strcmp(c, "rmdir") && argc == 2) return rmdir(argv[1]) ? fail("rmdir", argv[1]) : 0;
  if (!strcmp(c, "mv") && argc == 3) return rename(argv[1], argv[2]) ? fail("rename", argv[1]) : 0;
  if (!strcmp(c, "ln") && argc == 4 && !strcmp(argv[1], "-s")) return symlink(argv[2], argv[3]) ? fail("symlink", argv[3]) : 0;
  if (!strcmp(c, "ln") && argc == 3) return link(argv[1], argv[2]) ? fail("link", argv[2]) : 0;
  if (!strcmp(c, "cp") && argc == 3) return cp(argv[1], argv[2]);
  if (!strcmp(c, "many") && argc == 3) return many(argv[1], atol(argv[2]));
  fprintf(stderr, "fsutil: bad command '%s' (see the comment at the top of fsutil.c)\n", c);
  return 2;
}

int main(int argc, char **argv) {
  int start = 1;
  for (int i = 1; i <= argc; i++) {
    if (i == argc || !strcmp(argv[i], ",")) {
      int rc = command(i - start, argv + start);
      fflush(stdout); // keep printf output in order with cat's write(2)s
      if (rc) return rc;
      start = i + 1;
    }
  }
  return 0;
}

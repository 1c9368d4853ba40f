/* open/read/write/lseek/pread/pwrite, O_APPEND, O_TRUNC, O_EXCL, ftruncate, sizes. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

static void show(const char *path) {
    char buf[256] = {0};
    int fd = open(path, O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("%s (%zd): [%s]\n", path, n, buf);
}

int main(void) {
    CHECK("mkdir /f", mkdir("/f", 0755));
    int fd = open("/f/a", O_CREAT | O_RDWR | O_TRUNC, 0644);
    printf("open: %s\n", fd >= 0 ? "ok" : errname(errno));
    printf("write: %zd\n", write(fd, "hello world", 11));
    printf("lseek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
    printf("lseek set 6: %lld\n", (long long)lseek(fd, 6, SEEK_SET));
    char b[16] = {0};
    printf("read: %zd [%s]\n", read(fd, b, 5), b);
    printf("pwrite: %zd\n", pwrite(fd, "HELLO", 5, 0));
    memset(b, 0, sizeof b);
    printf("pread: %zd [%s]\n", pread(fd, b, 11, 0), b);
    printf("offset after pread: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("lseek past end: %lld\n", (long long)lseek(fd, 20, SEEK_SET));
    printf("write past end: %zd\n", write(fd, "!", 1));
    struct stat st;
    fstat(fd, &st);
    printf("size with hole: %lld\n", (long long)st.st_size);
    CHECK("ftruncate 5", ftruncate(fd, 5));
    fstat(fd, &st);
    printf("size after truncate: %lld\n", (long long)st.st_size);
    CHECK("lseek negative", lseek(fd, -100, SEEK_SET));
    close(fd);
    show("/f/a");

    fd = open("/f/a", O_WRONLY | O_APPEND);
    write(fd, "+tail", 5);
    lseek(fd, 0, SEEK_SET);
    write(fd, "+more", 5);
    close(fd);
    show("/f/a");

    CHECK("O_EXCL on existing", open("/f/a", O_CREAT | O_EXCL | O_WRONLY, 0644));
    fd = open("/f/a", O_WRONLY | O_TRUNC);
    close(fd);
    show("/f/a");
    CHECK("open missing", open("/f/missing", O_RDONLY));
    CHECK("O_DIRECTORY on file", open("/f/a", O_RDONLY | O_DIRECTORY));
    CHECK("write to dir", open("/f", O_WRONLY));
    CHECK("read on closed fd", read(fd, b, 1));

    FILE *f = fopen("/f/stdio.txt", "w");
    for (int i = 0; i < 1000; i++) fprintf(f, "line %d\n", i);
    fclose(f);
    f = fopen("/f/stdio.txt", "r");
    char line[64];
    int lines = 0;
    while (fgets(line, sizeof line, f)) lines++;
    fclose(f);
    stat("/f/stdio.txt", &st);
    printf("stdio lines %d size %lld last [%s]\n", lines, (long long)st.st_size, strtok(line, "\n"));
    return 0;
}

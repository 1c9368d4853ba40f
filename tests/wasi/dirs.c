/* mkdir/rmdir/rename/unlink/link/symlink/readlink and directory listings. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) { printf("opendir %s: %s\n", path, errname(errno)); return; }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("%s:", path);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
}

static void touch(const char *p) { close(open(p, O_CREAT | O_WRONLY, 0644)); }

int main(void) {
    CHECK("mkdir /d", mkdir("/d", 0755));
    CHECK("mkdir /d again", mkdir("/d", 0755));
    CHECK("mkdir /d/sub", mkdir("/d/sub", 0755));
    CHECK("mkdir missing parent", mkdir("/d/nope/x", 0755));
    touch("/d/a");
    touch("/d/b");
    touch("/d/sub/c");
    list("/d");
    CHECK("rename a->z", rename("/d/a", "/d/z"));
    CHECK("rename b over z", rename("/d/b", "/d/z"));
    CHECK("rename dir into itself", rename("/d/sub", "/d/sub/inner"));
    CHECK("rename file over dir", rename("/d/z", "/d/sub"));
    list("/d");
    CHECK("link z y", link("/d/z", "/d/y"));
    struct stat st;
    stat("/d/z", &st);
    printf("nlink after link: %d\n", (int)st.st_nlink);
    CHECK("unlink y", unlink("/d/y"));
    stat("/d/z", &st);
    printf("nlink after unlink: %d\n", (int)st.st_nlink);
    CHECK("symlink", symlink("sub/c", "/d/lnk"));
    CHECK("symlink exists", symlink("x", "/d/lnk"));
    char buf[64] = {0};
    printf("readlink: %zd [%s]\n", readlink("/d/lnk", buf, sizeof buf), buf);
    CHECK("readlink on file", readlink("/d/z", buf, sizeof buf));
    lstat("/d/lnk", &st);
    printf("lstat is link: %d\n", S_ISLNK(st.st_mode));
    stat("/d/lnk", &st);
    printf("stat follows: %d\n", S_ISREG(st.st_mode));
    CHECK("rmdir non-empty", rmdir("/d/sub"));
    CHECK("unlink dir", unlink("/d/sub"));
    CHECK("rmdir file", rmdir("/d/z"));
    CHECK("unlink c", unlink("/d/sub/c"));
    CHECK("rmdir sub", rmdir("/d/sub"));
    CHECK("stat dangling via link", stat("/d/lnk", &st));
    list("/d");
    for (int i = 0; i < 50; i++) { char p[32]; snprintf(p, sizeof p, "/d/f%02d", i); touch(p); }
    DIR *d = opendir("/d");
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (!strncmp(e->d_name, "f1", 2)) { char p[32]; snprintf(p, sizeof p, "/d/%s", e->d_name); unlink(p); }
        count++;
    }
    closedir(d);
    printf("listed while unlinking: %s\n", count >= 42 && count <= 53 ? "plausible" : "wrong");
    list("/d");
    return 0;
}

/* osv-disk-lock: takes QEMU's image locks on a disk image for the osv-ts VMM, which cannot
 * call fcntl(2) from Node. The VMM passes its own open file of the image as fd 3; the locks
 * are open-file-description (OFD) locks (fcntl F_OFD_SETLK, Linux >= 3.15), so they belong to
 * that open file, not to this short-lived process: they stay held after this program exits,
 * for as long as the VMM keeps the file open, and the kernel drops them when it closes the
 * file or dies. A lock can therefore never outlive its VM (no stale locks).
 *
 * The layout is QEMU's (block/file-posix.c, raw_apply_lock_bytes / raw_check_lock_bytes):
 * permission bit i in use is a shared lock on byte 100 + i; permission bit i *not shared* with
 * others is a shared lock on byte 200 + i. A user may take permission i only if nobody locks
 * byte 200 + i, and may refuse to share i only if nobody locks byte 100 + i. QEMU, qemu-img
 * and qemu-io use the same bytes, so they and osv-ts VMs see each other's locks.
 *
 * Usage: osv-disk-lock PERM SHARED     (bit masks; fd 3 is the image)
 *   exit 0, prints "locked": the locks are held on fd 3's open file;
 *   exit 3, prints "conflict BYTE": another open file locks BYTE, our locks were dropped again;
 *   exit 2 with a message on stderr: usage or system error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PERM_BASE 100
#define SHARED_BASE 200
#define PERM_BITS 4 /* consistent-read, write, write-unchanged, resize */
#define IMAGE_FD 3

static int lock_byte(int fd, int byte, short type, int cmd, struct flock *out) {
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte;
    fl.l_len = 1;
    int r = fcntl(fd, cmd, &fl);
    if (out) *out = fl;
    return r;
}

static void unlock_all(void) {
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = PERM_BASE;
    fl.l_len = SHARED_BASE + PERM_BITS - PERM_BASE;
    fcntl(IMAGE_FD, F_OFD_SETLK, &fl);
}

/* Another open file holds a lock on `byte` that a write lock would conflict with. */
static int locked_by_other(int byte) {
    struct flock fl;
    if (lock_byte(IMAGE_FD, byte, F_WRLCK, F_OFD_GETLK, &fl) != 0) {
        fprintf(stderr, "osv-disk-lock: F_OFD_GETLK byte %d: %s\n", byte, strerror(errno));
        exit(2);
    }
    return fl.l_type != F_UNLCK;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: osv-disk-lock PERM SHARED  (fd 3: the image)\n");
        return 2;
    }
    unsigned long perm = strtoul(argv[1], NULL, 0), shared = strtoul(argv[2], NULL, 0);
    if (fcntl(IMAGE_FD, F_GETFD) < 0) {
        fprintf(stderr, "osv-disk-lock: fd 3 is not open: %s\n", strerror(errno));
        return 2;
    }
    /* Apply first, then check (QEMU's order): of two users starting at once, each sees the
     * other's locks, so at worst both refuse; never do both go ahead. */
    for (int i = 0; i < PERM_BITS; i++) {
        int bytes[2] = {(perm >> i) & 1 ? PERM_BASE + i : -1, (shared >> i) & 1 ? -1 : SHARED_BASE + i};
        for (int k = 0; k < 2; k++) {
            if (bytes[k] < 0) continue;
            if (lock_byte(IMAGE_FD, bytes[k], F_RDLCK, F_OFD_SETLK, NULL) == 0) continue;
            if (errno == EAGAIN || errno == EACCES) { /* someone holds an exclusive lock there */
                unlock_all();
                printf("conflict %d\n", bytes[k]);
                return 3;
            }
            fprintf(stderr, "osv-disk-lock: F_OFD_SETLK byte %d: %s\n", bytes[k], strerror(errno));
            unlock_all();
            return 2;
        }
    }
    /* Someone holding a permission we do not share is reported before someone refusing to
     * share one we want: "it is being written" says more than "it may not be written". */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < PERM_BITS; i++) {
            int byte = -1;
            if (pass == 0 && !((shared >> i) & 1) && locked_by_other(PERM_BASE + i)) byte = PERM_BASE + i;
            if (pass == 1 && ((perm >> i) & 1) && locked_by_other(SHARED_BASE + i)) byte = SHARED_BASE + i;
            if (byte >= 0) {
                unlock_all();
                printf("conflict %d\n", byte);
                return 3;
            }
        }
    }
    printf("locked\n");
    return 0;
}

/* Helpers for the conformance programs: print a call's result as "name: ok" or "name: ERRNAME". */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *errname(int e) {
    switch (e) {
    case 0: return "ok";
    case EACCES: return "EACCES"; case EBADF: return "EBADF"; case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL"; case EISDIR: return "EISDIR"; case ELOOP: return "ELOOP";
    case ENOENT: return "ENOENT"; case ENOTDIR: return "ENOTDIR"; case ENOTEMPTY: return "ENOTEMPTY";
    case ESPIPE: return "ESPIPE"; case EXDEV: return "EXDEV"; case ENAMETOOLONG: return "ENAMETOOLONG";
    case EPERM: return "EPERM"; case ENOTCAPABLE: return "ENOTCAPABLE"; case EROFS: return "EROFS";
    default: return strerror(e);
    }
}
#define CHECK(name, expr) do { errno = 0; long _r = (long)(expr); printf("%s: %s\n", name, _r < 0 ? errname(errno) : "ok"); } while (0)

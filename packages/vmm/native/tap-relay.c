/* osv-tap-relay: attaches to (or creates) a Linux TAP device and relays its Ethernet frames
 * over stdin/stdout in QEMU's stream-socket framing (the one passt speaks): each frame is
 * preceded by its length as a 4-byte big-endian integer. The osv-ts VMM spawns it because
 * Node cannot issue the TUNSETIFF ioctl on /dev/net/tun without a native addon.
 *
 * Usage: osv-tap-relay [--vnet-hdr] IFNAME      (IFNAME may be a kernel pattern such as tap%d)
 *   --vnet-hdr: IFF_VNET_HDR with a 12-byte header (virtio 1.2 §5.1.6, TUNSETVNETHDRSZ) before
 *   every frame both ways, so checksum and TCP segmentation offloads pass through. The VMM
 *   then sets the offloads the guest takes with a control record in the stream: the length
 *   word 0xFFFFFFFF and 4 bytes (big-endian) of TUN_F_* flags for TUNSETOFFLOAD.
 *   Prints "ready IFNAME created|attached mtu MTU" on stderr once frames flow; exits 0 when stdin
 *   closes (the VMM went away), non-zero with a message on stderr on any setup error.
 * Left out: multiqueue. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FRAME (12 + 14 + 65535) /* vnet header + a 64 KiB IP datagram: anything longer is a lost stream */
#define VNET_HDR_BYTES 12
#define CONTROL_RECORD 0xffffffffu
#define OUT_BYTES (1024 * 1024) /* room for 15 frames of the largest size per batch */
#define IN_BYTES (256 * 1024)

static unsigned char out[OUT_BYTES];
static unsigned char in[IN_BYTES];

static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd pf = {.fd = fd, .events = POLLOUT};
                poll(&pf, 1, -1);
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int device_exists(const char *name) {
    char path[64];
    snprintf(path, sizeof path, "/sys/class/net/%s", name);
    return access(path, F_OK) == 0;
}

/* Brings the device up and reads its MTU (which the VMM offers the guest). */
static int set_up(const char *name, int *mtu) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    if (rc == 0) rc = ioctl(s, SIOCGIFMTU, &ifr);
    if (rc == 0) *mtu = ifr.ifr_mtu;
    close(s);
    return rc;
}

int main(int argc, char **argv) {
    int vnet_hdr = argc == 3 && strcmp(argv[1], "--vnet-hdr") == 0;
    if (argc != 2 + vnet_hdr || strlen(argv[argc - 1]) == 0 || strlen(argv[argc - 1]) >= IFNAMSIZ) {
        fprintf(stderr, "usage: osv-tap-relay [--vnet-hdr] IFNAME (at most %d characters)\n", IFNAMSIZ - 1);
        return 2;
    }
    const char *name = argv[argc - 1];
    /* The relay lives exactly as long as the VMM: a dead parent takes the TAP down with it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGPIPE, SIG_IGN);

    int existed = strchr(name, '%') == NULL && device_exists(name);
    int tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tap < 0) {
        int e = errno;
        fprintf(stderr, "osv-tap-relay: cannot open /dev/net/tun: %s%s\n", strerror(e),
                e == EACCES || e == EPERM ? " (needs root or CAP_NET_ADMIN)" : e == ENOENT ? " (no TUN/TAP driver: modprobe tun)" : "");
        return 1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(tap, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        fprintf(stderr, "osv-tap-relay: TUNSETIFF %s: %s%s\n", name, strerror(e),
                e == EINVAL && existed ? " (the device exists and is not a TAP device)"
                : e == EBUSY           ? " (another process is attached to it)"
                : e == EPERM           ? " (needs CAP_NET_ADMIN, or a persistent TAP owned by this user)"
                                       : "");
        return 1;
    }
    name = ifr.ifr_name;
    if (vnet_hdr) {
        /* virtio_net_hdr_v1 with num_buffers; no offloads towards the guest until it says. */
        int size = VNET_HDR_BYTES;
        if (ioctl(tap, TUNSETVNETHDRSZ, &size) < 0 || ioctl(tap, TUNSETOFFLOAD, 0) < 0) {
            fprintf(stderr, "osv-tap-relay: vnet header on %s: %s\n", name, strerror(errno));
            return 1;
        }
    }
    int mtu = 1500;
    if (set_up(name, &mtu) < 0) {
        fprintf(stderr, "osv-tap-relay: cannot bring %s up: %s\n", name, strerror(errno));
        return 1;
    }
    fcntl(tap, F_SETFL, fcntl(tap, F_GETFL) | O_NONBLOCK);
    /* A name such as tap%d is a pattern the kernel fills in: report the device it made. */
    fprintf(stderr, "ready %s %s mtu %d\n", ifr.ifr_name, existed ? "attached" : "created", mtu);
    fflush(stderr);

    size_t have = 0; /* bytes of stdin buffered in `in` */
    struct pollfd fds[2] = {{.fd = tap, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            perror("osv-tap-relay: poll");
            return 1;
        }
        if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL) && !(fds[0].revents & POLLIN)) {
            /* The device was deleted under us (ip link del): nothing more will come. */
            fprintf(stderr, "osv-tap-relay: %s went away\n", name);
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            /* Batch what the TAP has into one write to the VMM. */
            size_t used = 0;
            while (used + 4 + MAX_FRAME <= OUT_BYTES) {
                ssize_t n = read(tap, out + used + 4, MAX_FRAME);
                if (n <= 0) break;
                out[used] = (unsigned char)(n >> 24);
                out[used + 1] = (unsigned char)(n >> 16);
                out[used + 2] = (unsigned char)(n >> 8);
                out[used + 3] = (unsigned char)n;
                used += 4 + (size_t)n;
            }
            if (used && write_all(1, out, used) < 0) return 0; /* the VMM closed its end */
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(0, in + have, IN_BYTES - have);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return 0;
            have += (size_t)n;
            size_t off = 0;
            while (have - off >= 4) {
                uint32_t len = ((uint32_t)in[off] << 24) | ((uint32_t)in[off + 1] << 16) | ((uint32_t)in[off + 2] << 8) | in[off + 3];
                if (len == CONTROL_RECORD && vnet_hdr) {
                    if (have - off < 8) break;
                    unsigned flags = ((unsigned)in[off + 4] << 24) | ((unsigned)in[off + 5] << 16) | ((unsigned)in[off + 6] << 8) | in[off + 7];
                    if (ioctl(tap, TUNSETOFFLOAD, flags) < 0) {
                        fprintf(stderr, "osv-tap-relay: TUNSETOFFLOAD 0x%x on %s: %s\n", flags, name, strerror(errno));
                        return 1;
                    }
                    off += 8;
                    continue;
                }
                if (len > MAX_FRAME) {
                    fprintf(stderr, "osv-tap-relay: frame length %u from the VMM: stream out of sync\n", len);
                    return 1;
                }
                if (have - off - 4 < len) break;
                /* A full TAP queue drops the frame, as a busy wire would (ENOBUFS/EAGAIN). */
                if (write(tap, in + off + 4, len) < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EINVAL && errno != EIO) {
                    fprintf(stderr, "osv-tap-relay: write to %s: %s\n", name, strerror(errno));
                    return 1;
                }
                off += 4 + len;
            }
            memmove(in, in + off, have - off);
            have -= off;
        }
    }
}

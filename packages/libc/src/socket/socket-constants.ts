// The BSD socket API's constants with the values Linux gives them (x86-64/aarch64 uapi:
// linux/socket.h, asm-generic/socket.h, netinet/in.h, netinet/tcp.h, poll.h) and glibc's
// getaddrinfo codes (netdb.h), so numbers a JS app logs or compares mean what they do on Linux.

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
/** socket(2)/accept4(2) type flags: O_NONBLOCK and O_CLOEXEC's values. */
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;

export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_DOMAIN = 39;

export const TCP_NODELAY = 1;
export const TCP_KEEPIDLE = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;
export const IPV6_V6ONLY = 26;

export const MSG_PEEK = 0x2;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const POLLRDHUP = 0x2000;

export const O_NONBLOCK = 0o4000;

/** getaddrinfo(3) hints.flags (glibc). */
export const AI_PASSIVE = 0x0001;
export const AI_CANONNAME = 0x0002;
export const AI_NUMERICHOST = 0x0004;
export const AI_V4MAPPED = 0x0008;
export const AI_ALL = 0x0010;
export const AI_ADDRCONFIG = 0x0020;
export const AI_NUMERICSERV = 0x0400;

/** getaddrinfo(3) error codes (glibc's netdb.h values). */
export const EAI_BADFLAGS: number = -1;
export const EAI_NONAME: number = -2;
export const EAI_AGAIN: number = -3;
export const EAI_FAIL: number = -4;
export const EAI_NODATA: number = -5;
export const EAI_FAMILY: number = -6;
export const EAI_SOCKTYPE: number = -7;
export const EAI_SERVICE: number = -8;
export const EAI_ADDRFAMILY: number = -9;
export const EAI_MEMORY: number = -10;
export const EAI_SYSTEM: number = -11;

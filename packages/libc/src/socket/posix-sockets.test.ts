// The BSD socket API of Posix between two netstacks over a simulated link, on a virtual clock:
// the app thread blocks in the scheduler exactly as in the guest, while a kernel thread drives
// the link and the stacks (the role of the kernel's netstack-poll thread and the NIC interrupt).
import { describe, expect, it } from 'vitest';
import { Scheduler, VirtualClock, VirtualCpu, type ThreadBody } from '@osv-ts/core-sched';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { IpAddress, NetStack, PERFECT_LINK, SeededRandom, SimulatedLink, type UdpSocket } from '@osv-ts/netstack';
import * as wire from '@osv-ts/netstack/wire';
import { RamFs, Vfs, O_CREAT, O_WRONLY } from '@osv-ts/vfs';
import { Posix, type PollFd } from '../posix.js';
import { Process } from '../process.js';
import { AddrInfoError } from './getaddrinfo.js';
import { PosixSockets } from './posix-sockets.js';
import * as C from './socket-constants.js';

interface World {
  a: Posix;
  b: Posix;
  clock: VirtualClock;
  stackA: NetStack;
  stackB: NetStack;
}

/** Two hosts, 10.0.0.1 (a) and 10.0.0.2 (b), one app thread that may act as either. */
function world(): World {
  const clock = new VirtualClock();
  const cpu = new VirtualCpu(clock);
  const sched = new Scheduler(clock, cpu);
  const link = new SimulatedLink(clock, new SeededRandom(7), { ...PERFECT_LINK, delayNs: 1_000_000 });
  const stackA = new NetStack({ clock, entropy: new SeededRandom(1) });
  const stackB = new NetStack({ clock, entropy: new SeededRandom(2) });
  stackA.addIpv4Address(stackA.addInterface(link.a, { name: 'eth0' }), IpAddress.parse('10.0.0.1'), 24);
  stackB.addIpv4Address(stackB.addInterface(link.b, { name: 'eth0' }), IpAddress.parse('10.0.0.2'), 24);
  cpu.addInterruptSource(() => link.deliverDue() > 0);
  sched.spawn(
    function* network(): ThreadBody {
      for (;;) {
        const now = clock.monotonicNs();
        link.deliverDue();
        stackA.poll(now);
        stackB.poll(now);
        const next = Math.min(
          link.nextEventNs() ?? Infinity,
          stackA.nextDeadlineNs() ?? Infinity,
          stackB.nextDeadlineNs() ?? Infinity,
          now + 1_000_000,
        );
        yield { queues: [], deadlineNs: Math.max(next, now + 1) };
      }
    },
    { name: 'network' },
  );
  const posix = (stack: NetStack): Posix => {
    const vfs = new Vfs({ clock, blocker: sched });
    vfs.mountRoot(new RamFs());
    const process = new Process({ args: [], env: [], clock, entropy: new SeededRandom(3), sched });
    return new Posix(process, vfs, new PosixSockets(process, stack));
  };
  return { a: posix(stackA), b: posix(stackB), clock, stackA, stackB };
}

const A = { family: C.AF_INET, address: '10.0.0.1', port: 8080 };

function errnoOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
  return undefined;
}

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff;
  return b;
}

describe('Posix sockets (BSD API over the netstack)', () => {
  it('listens, connects (blocking), accepts and moves 200 KB each way byte-exact; names and EOF', () => {
    const { a, b } = world();
    const l = a.socket(C.AF_INET, C.SOCK_STREAM);
    a.setsockopt(l, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    a.bind(l, { family: C.AF_INET, address: '0.0.0.0', port: 8080 });
    a.listen(l, 16);
    expect(a.getsockname(l)).toEqual({ family: C.AF_INET, address: '0.0.0.0', port: 8080 });

    const c = b.socket(C.AF_INET, C.SOCK_STREAM);
    b.connect(c, A);
    const local = b.getsockname(c);
    expect(local.address).toBe('10.0.0.2');
    expect(b.getpeername(c)).toEqual(A);

    const s = a.accept(l);
    expect(a.getpeername(s)).toEqual(local);
    expect(a.getsockname(s)).toEqual(A);

    const up = pattern(200_000);
    expect(b.send(c, up)).toBe(up.length); // blocking send waits for window space
    const got = new Uint8Array(up.length);
    let n = 0;
    // MSG_PEEK shows the first bytes without consuming them.
    const peek = new Uint8Array(4);
    expect(a.recv(s, peek, C.MSG_PEEK)).toBe(4);
    expect([...peek]).toEqual([...up.subarray(0, 4)]);
    while (n < up.length) n += a.recv(s, got.subarray(n));
    expect(got).toEqual(up);

    // read()/write() work on socket fds too: one fd table for every API.
    expect(a.write(s, 'pong')).toBe(4);
    const four = new Uint8Array(4);
    expect(b.recv(c, four, C.MSG_WAITALL)).toBe(4);
    expect(new TextDecoder().decode(four)).toBe('pong');

    b.shutdown(c, C.SHUT_WR);
    expect(a.recv(s, new Uint8Array(10))).toBe(0); // EOF after the peer's FIN
    a.close(s);
    expect(b.recv(c, new Uint8Array(10))).toBe(0);
    b.close(c);
    a.close(l);
  });

  it('non-blocking connect: EINPROGRESS, POLLOUT, SO_ERROR 0; refused: SO_ERROR ECONNREFUSED; MSG_DONTWAIT/O_NONBLOCK give EAGAIN', () => {
    const { a, b } = world();
    const l = a.socket(C.AF_INET, C.SOCK_STREAM);
    a.bind(l, A);
    a.listen(l);
    const c = b.socket(C.AF_INET, C.SOCK_STREAM | C.SOCK_NONBLOCK);
    expect(errnoOf(() => b.connect(c, A))).toBe(Errno.EINPROGRESS);
    expect(errnoOf(() => b.connect(c, A))).toBe(Errno.EALREADY);
    const fds: PollFd[] = [{ fd: c, events: C.POLLOUT }];
    expect(b.poll(fds, 5000)).toBe(1);
    expect(fds[0]!.revents! & C.POLLOUT).toBeTruthy();
    expect(b.getsockopt(c, C.SOL_SOCKET, C.SO_ERROR)).toBe(0);
    expect(errnoOf(() => b.recv(c, new Uint8Array(8)))).toBe(Errno.EAGAIN);

    // accept on a non-blocking listener set through fcntl(F_SETFL, O_NONBLOCK).
    const s = a.accept(l);
    a.fcntl(l, a.constants.F_SETFL, C.O_NONBLOCK);
    expect(errnoOf(() => a.accept(l))).toBe(Errno.EAGAIN);
    expect(errnoOf(() => a.recv(s, new Uint8Array(8), C.MSG_DONTWAIT))).toBe(Errno.EAGAIN);

    const refused = b.socket(C.AF_INET, C.SOCK_STREAM | C.SOCK_NONBLOCK);
    expect(errnoOf(() => b.connect(refused, { ...A, port: 9 }))).toBe(Errno.EINPROGRESS);
    const p: PollFd[] = [{ fd: refused, events: C.POLLOUT }];
    expect(b.poll(p, 5000)).toBe(1);
    expect(b.getsockopt(refused, C.SOL_SOCKET, C.SO_ERROR)).toBe(Errno.ECONNREFUSED);
    // A blocking connect to a closed port fails with the error itself.
    expect(errnoOf(() => b.connect(b.socket(C.AF_INET, C.SOCK_STREAM), { ...A, port: 9 }))).toBe(Errno.ECONNREFUSED);
  });

  it('poll() waits across a socket and a pipe, and times out on virtual time', () => {
    const { a, b, clock } = world();
    const l = a.socket(C.AF_INET, C.SOCK_STREAM);
    a.bind(l, A);
    a.listen(l);
    const [r, w] = a.pipe();
    const fds: PollFd[] = [
      { fd: l, events: C.POLLIN },
      { fd: r, events: C.POLLIN },
      { fd: 999, events: C.POLLIN },
      { fd: -1, events: C.POLLIN },
    ];
    const t0 = clock.monotonicNs();
    expect(a.poll(fds.slice(0, 2), 250)).toBe(0);
    expect(clock.monotonicNs() - t0).toBeGreaterThanOrEqual(250e6);
    a.write(w, 'x');
    expect(a.poll(fds, 0)).toBe(2); // the pipe, and fd 999 as POLLNVAL
    expect(fds.map((f) => f.revents)).toEqual([0, C.POLLIN, C.POLLNVAL, 0]);
    const c = b.socket(C.AF_INET, C.SOCK_STREAM);
    b.connect(c, A);
    expect(a.poll([fds[0]!], -1)).toBe(1);
    expect(fds[0]!.revents).toBe(C.POLLIN);
  });

  it('an AF_INET6 listener on :: accepts IPv4 clients, seen as v4-mapped addresses (RFC 3493 §3.7)', () => {
    const { a, b } = world();
    const l = a.socket(C.AF_INET6, C.SOCK_STREAM);
    a.bind(l, { family: C.AF_INET6, address: '::', port: 80 });
    a.listen(l);
    const c = b.socket(C.AF_INET, C.SOCK_STREAM);
    b.connect(c, { family: C.AF_INET, address: '10.0.0.1', port: 80 });
    const s = a.accept(l);
    expect(a.getpeername(s)).toEqual({ family: C.AF_INET6, address: '::ffff:10.0.0.2', port: b.getsockname(c).port });
    expect(a.getsockname(s)).toEqual({ family: C.AF_INET6, address: '::ffff:10.0.0.1', port: 80 });
  });

  it('UDP: sendto/recvfrom keep datagram boundaries and report the sender; MSG_PEEK', () => {
    const { a, b } = world();
    const u = a.socket(C.AF_INET, C.SOCK_DGRAM);
    a.bind(u, { family: C.AF_INET, address: '0.0.0.0', port: 5353 });
    const v = b.socket(C.AF_INET, C.SOCK_DGRAM);
    b.sendto(v, 'first', 0, { family: C.AF_INET, address: '10.0.0.1', port: 5353 });
    b.sendto(v, 'second!', 0, { family: C.AF_INET, address: '10.0.0.1', port: 5353 });
    const buf = new Uint8Array(100);
    expect(a.recvfrom(u, buf, C.MSG_PEEK).bytes).toBe(5);
    const one = a.recvfrom(u, buf);
    expect(new TextDecoder().decode(buf.subarray(0, one.bytes))).toBe('first');
    expect(one.address).toEqual(
      b.getsockname(v).port ? { family: C.AF_INET, address: '10.0.0.2', port: b.getsockname(v).port } : undefined,
    );
    expect(a.recvfrom(u, buf).bytes).toBe(7);
    expect(errnoOf(() => a.recv(u, buf, C.MSG_DONTWAIT))).toBe(Errno.EAGAIN);
    expect(a.getsockopt(u, C.SOL_SOCKET, C.SO_TYPE)).toBe(C.SOCK_DGRAM);
  });

  it('setsockopt/getsockopt: the Linux option numbers reach the socket', () => {
    const { a } = world();
    const s = a.socket(C.AF_INET6, C.SOCK_STREAM | C.SOCK_CLOEXEC);
    expect(a.fcntl(s, a.constants.F_GETFD)).toBe(a.constants.FD_CLOEXEC);
    expect(a.getsockopt(s, C.SOL_SOCKET, C.SO_REUSEADDR)).toBe(0);
    a.setsockopt(s, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    expect(a.getsockopt(s, C.SOL_SOCKET, C.SO_REUSEADDR)).toBe(1);
    a.setsockopt(s, C.IPPROTO_TCP, C.TCP_NODELAY, true);
    expect(a.getsockopt(s, C.IPPROTO_TCP, C.TCP_NODELAY)).toBe(1);
    a.setsockopt(s, C.SOL_SOCKET, C.SO_KEEPALIVE, 1);
    expect(a.getsockopt(s, C.SOL_SOCKET, C.SO_KEEPALIVE)).toBe(1);
    a.setsockopt(s, C.SOL_SOCKET, C.SO_RCVBUF, 65536);
    expect(a.getsockopt(s, C.SOL_SOCKET, C.SO_RCVBUF)).toBe(65536);
    expect(a.getsockopt(s, C.SOL_SOCKET, C.SO_SNDBUF)).toBeGreaterThan(0);
    expect(a.getsockopt(s, C.SOL_SOCKET, C.SO_DOMAIN)).toBe(C.AF_INET6);
    expect(errnoOf(() => a.setsockopt(s, C.SOL_SOCKET, 12345, 1))).toBe(Errno.ENOPROTOOPT);
    expect(errnoOf(() => a.setsockopt(s, C.SOL_SOCKET, C.SO_ERROR, 1))).toBe(Errno.ENOPROTOOPT);
    expect(errnoOf(() => a.getpeername(s))).toBe(Errno.ENOTCONN);
    expect(errnoOf(() => a.socket(1 /* AF_UNIX */, C.SOCK_STREAM))).toBe(Errno.EAFNOSUPPORT);
    expect(errnoOf(() => a.socket(C.AF_INET, C.SOCK_STREAM, C.IPPROTO_UDP))).toBe(Errno.EPROTONOSUPPORT);
    expect(errnoOf(() => a.bind(77, A))).toBe(Errno.EBADF);
  });

  it('getaddrinfo: numeric hosts, /etc/hosts from the VFS, services, and DNS through the resolver', () => {
    const { a, b, stackA } = world();
    // A DNS server on b (10.0.0.2:53) answering example.test with an A record, others NXDOMAIN.
    const server: UdpSocket = (b.sockets as PosixSockets).stack.udpSocket(4);
    server.bind({ address: IpAddress.parse('0.0.0.0'), port: 53 });
    const answer = (): void => {
      const buf = new Uint8Array(512);
      for (;;) {
        let got;
        try {
          got = server.recvFrom(buf);
        } catch {
          break;
        }
        const q = wire.parseDns(buf.subarray(0, got.bytes));
        const question = q.questions[0]!;
        const known = question.name === 'example.test';
        const answers =
          known && question.type === wire.DnsType.A
            ? [{ name: question.name, type: 1, class: 1, ttl: 60, data: Uint8Array.of(192, 0, 2, 7) }]
            : [];
        server.sendTo(
          wire.emitDns({
            ...q,
            response: true,
            recursionAvailable: true,
            rcode: known ? 0 : 3,
            answers,
            authorities: [],
            additionals: [],
          }),
          got.from,
        );
      }
      server.waitQueue.add({ wake: answer });
    };
    server.waitQueue.add({ wake: answer });
    stackA.nameservers = [IpAddress.parse('10.0.0.2')];

    expect(a.getaddrinfo('10.1.2.3', '80', { socktype: C.SOCK_STREAM })).toEqual([
      {
        family: C.AF_INET,
        socktype: C.SOCK_STREAM,
        protocol: C.IPPROTO_TCP,
        address: { family: C.AF_INET, address: '10.1.2.3', port: 80 },
      },
    ]);
    expect(a.getaddrinfo('::1', 'https', { socktype: C.SOCK_STREAM })[0]!.address).toEqual({
      family: C.AF_INET6,
      address: '::1',
      port: 443,
    });
    expect(a.getaddrinfo(null, '8080', { flags: C.AI_PASSIVE, family: C.AF_INET }).map((r) => r.socktype)).toEqual([
      C.SOCK_STREAM,
      C.SOCK_DGRAM,
    ]);

    a.mkdir('/etc');
    const fd = a.open('/etc/hosts', O_WRONLY | O_CREAT);
    a.write(fd, '# comment\n10.9.8.7  files.test alias\n');
    a.close(fd);
    expect(a.getaddrinfo('alias', null, { family: C.AF_INET, socktype: C.SOCK_STREAM })[0]!.address.address).toBe(
      '10.9.8.7',
    );

    expect(a.getaddrinfo('example.test', 'http', { family: C.AF_INET, socktype: C.SOCK_STREAM })[0]!.address).toEqual({
      family: C.AF_INET,
      address: '192.0.2.7',
      port: 80,
    });
    const code = (f: () => unknown): number | undefined => {
      try {
        f();
      } catch (e) {
        if (e instanceof AddrInfoError) return e.code;
        throw e;
      }
      return undefined;
    };
    expect(code(() => a.getaddrinfo('nowhere.test', null, { family: C.AF_INET }))).toBe(C.EAI_NONAME);
    expect(code(() => a.getaddrinfo('example.test', null, { family: C.AF_INET6 }))).toBe(C.EAI_NODATA);
    expect(code(() => a.getaddrinfo('example.test', 'no-such-service', {}))).toBe(C.EAI_SERVICE);
    expect(code(() => a.getaddrinfo('example.test', null, { flags: C.AI_NUMERICHOST }))).toBe(C.EAI_NONAME);
    expect(code(() => a.getaddrinfo('1.2.3.4', null, { family: 99 }))).toBe(C.EAI_FAMILY);
    expect(code(() => a.getaddrinfo('1.2.3.4', null, { socktype: 5 }))).toBe(C.EAI_SOCKTYPE);
    expect(code(() => a.getaddrinfo(null, null, {}))).toBe(C.EAI_NONAME);

    // /etc/resolv.conf overrides the DHCP servers: a server that does not answer times out.
    const rc = a.open('/etc/resolv.conf', O_WRONLY | O_CREAT);
    a.write(rc, 'nameserver 10.0.0.99\noptions timeout:1 attempts:1\n');
    a.close(rc);
    expect(code(() => a.getaddrinfo('example.test', null, { family: C.AF_INET }))).toBe(C.EAI_AGAIN);
  });

  it('without a network stack: socket() is EAFNOSUPPORT, names need /etc/hosts or numbers', () => {
    const clock = new VirtualClock();
    const sched = new Scheduler(clock, new VirtualCpu(clock));
    const vfs = new Vfs({ clock, blocker: sched });
    vfs.mountRoot(new RamFs());
    const p = new Posix(new Process({ args: [], env: [], clock, entropy: new SeededRandom(1), sched }), vfs);
    expect(errnoOf(() => p.socket(C.AF_INET, C.SOCK_STREAM))).toBe(Errno.EAFNOSUPPORT);
    const fd = p.open('/f', O_WRONLY | O_CREAT);
    expect(errnoOf(() => p.listen(fd))).toBe(Errno.ENOTSOCK);
    expect(p.getaddrinfo('localhost', '7', { family: C.AF_INET, socktype: C.SOCK_DGRAM })[0]!.address).toEqual({
      family: C.AF_INET,
      address: '127.0.0.1',
      port: 7,
    });
    expect(() => p.getaddrinfo('example.org', null, {})).toThrow(AddrInfoError);
  });
});

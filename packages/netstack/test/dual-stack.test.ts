// IPv6 sockets that also serve IPv4 through v4-mapped addresses (RFC 3493 §3.7), as Linux does
// unless IPV6_V6ONLY is set.
import { describe, expect, it } from 'vitest';
import { Errno } from '@osv-ts/kernel-api';
import { IpAddress, type TcpSocket } from '../src/index.js';
import { errnoOf, makePair } from './harness.js';

const ANY6 = IpAddress.parse('::');

describe('dual-stack sockets', () => {
  it('accepts an IPv4 connection on a listener bound to :: and reports the peer v4-mapped', () => {
    const p = makePair(400);
    const l = p.a.tcpSocket(6);
    l.bind({ address: ANY6, port: 80 });
    l.listen();
    const c = p.b.tcpSocket(4);
    expect(errnoOf(() => c.connect({ address: p.addrA, port: 80 }))).toBe(Errno.EINPROGRESS);
    let s: TcpSocket | undefined;
    p.sim.runUntil(() => errnoOf(() => (s = l.accept())) === 0, 5e9);
    expect(s!.family).toBe(6);
    expect(String(s!.peerName()!.address)).toBe('::ffff:a00:2');
    expect(String(s!.sockName()!.address)).toBe('::ffff:a00:1');
    s!.write(Uint8Array.of(1, 2));
    p.sim.runFor(50e6);
    expect(c.read(new Uint8Array(4))).toBe(2);
  });

  it('connects an IPv6 socket to a v4-mapped address over IPv4', () => {
    const p = makePair(401);
    const l = p.a.tcpSocket(4);
    l.bind({ address: p.addrA, port: 81 });
    l.listen();
    const c = p.b.tcpSocket(6);
    expect(errnoOf(() => c.connect({ address: p.addrA.toV4Mapped(), port: 81 }))).toBe(Errno.EINPROGRESS);
    p.sim.runUntil(() => l.acceptQueue.length === 1, 5e9);
    expect(String(c.peerName()!.address)).toBe('::ffff:a00:1');
    expect(c.connection!.endpoints.remoteAddress.version).toBe(4);
  });

  it('keeps IPV6_V6ONLY listeners to IPv6, and lets an IPv4 socket share the port then', () => {
    const p = makePair(402);
    const l6 = p.a.tcpSocket(6);
    l6.setOption('IPV6_V6ONLY', true);
    l6.bind({ address: ANY6, port: 82 });
    l6.listen();
    const c = p.b.tcpSocket(4);
    errnoOf(() => c.connect({ address: p.addrA, port: 82 }));
    p.sim.runFor(100e6);
    expect(c.getOption('SO_ERROR')).toBe(Errno.ECONNREFUSED);
    const l4 = p.a.tcpSocket(4);
    l4.bind({ address: IpAddress.parse('0.0.0.0'), port: 82 });
    // A dual-stack wildcard, by contrast, collides with an IPv4 binding of the same port.
    const dual = p.a.tcpSocket(6);
    expect(errnoOf(() => dual.bind({ address: ANY6, port: 82 }))).toBe(Errno.EADDRINUSE);
    expect(errnoOf(() => l6.connect({ address: p.addrA.toV4Mapped(), port: 1 }))).toBe(Errno.EINVAL);
  });

  it('receives IPv4 datagrams on a UDP socket bound to :: and answers them', () => {
    const p = makePair(403);
    const srv = p.a.udpSocket(6);
    srv.bind({ address: ANY6, port: 53 });
    const cli = p.b.udpSocket(4);
    cli.sendTo(Uint8Array.of(9), { address: p.addrA, port: 53 });
    p.sim.runFor(50e6);
    const buf = new Uint8Array(8);
    const r = srv.recvFrom(buf);
    expect(String(r.from.address)).toBe('::ffff:a00:2');
    srv.sendTo(Uint8Array.of(10), r.from);
    p.sim.runFor(50e6);
    expect(cli.recvFrom(buf).bytes).toBe(1);
    expect(buf[0]).toBe(10);
  });
});

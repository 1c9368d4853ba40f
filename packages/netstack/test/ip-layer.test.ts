// IPv4/IPv6 layer behaviour between simulated stacks: ARP, NDP + SLAAC, ping, UDP, ICMP errors,
// fragmentation and reassembly, and survival under hostile frames.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Errno } from '@osv-ts/kernel-api';
import { IpAddress, PollEvents, SeededRandom, type NetStack } from '../src/index.js';
import * as wire from '../src/wire/index.js';
import { errnoOf, makePair, pattern, transfer, equalBytes } from './harness.js';

function recvUdp(s: ReturnType<NetStack['udpSocket']>) {
  const buf = new Uint8Array(70000);
  const r = s.recvFrom(buf);
  return { data: buf.slice(0, r.bytes), from: r.from };
}

describe('IPv4', () => {
  it('answers ping and resolves the peer with one ARP exchange', () => {
    const p = makePair(100);
    const ping = p.b.pingSocket(4);
    let arps = 0;
    p.link.tap = (_f, frame) => {
      if (wire.parseEthernet(frame).etherType === wire.EtherType.ARP) arps++;
    };
    ping.send(p.addrA, 1, Uint8Array.of(1, 2, 3));
    ping.send(p.addrA, 2, Uint8Array.of(4));
    p.sim.runFor(50e6);
    const r1 = ping.receive();
    const r2 = ping.receive();
    expect([r1.sequence, [...r1.payload], r2.sequence]).toEqual([1, [1, 2, 3], 2]);
    expect(r1.from.toString()).toBe('10.0.0.1');
    expect(arps).toBe(2); // one request, one reply
  });

  it('counts bytes, frames and broadcast/multicast frames per interface, both ways', () => {
    const p = makePair(112);
    const ia = p.a.interface('eth0')!;
    const ib = p.b.interface('eth0')!;
    const seen = { bytes: 0, frames: 0, group: 0 };
    p.link.tap = (_f, frame) => {
      seen.bytes += frame.length;
      seen.frames++;
      if ((frame[0]! & 1) !== 0) seen.group++;
    };
    const ping = p.b.pingSocket(4);
    for (let i = 0; i < 5; i++) ping.send(p.addrA, i, new Uint8Array(100));
    p.sim.runFor(50e6);
    const before = { ...ia.counters };
    // Every frame on the link was sent by one side and received by the other.
    expect(ia.counters.txBytes + ib.counters.txBytes).toBe(seen.bytes);
    expect(ia.counters.rxBytes + ib.counters.rxBytes).toBe(seen.bytes);
    expect(ia.counters.txFrames + ib.counters.txFrames).toBe(seen.frames);
    // The ARP request is the one broadcast.
    expect([seen.group, ib.counters.txMulticast, ia.counters.rxMulticast]).toEqual([1, 1, 1]);
    // Each echo request is 14 + 20 + 8 + 100 bytes.
    expect(ia.counters.rxBytes).toBeGreaterThanOrEqual(5 * 142);
    ping.send(p.addrA, 9, new Uint8Array(1000));
    p.sim.runFor(50e6);
    expect(ia.counters.rxBytes - before.rxBytes).toBe(14 + 20 + 8 + 1000);
    expect(ia.counters.txBytes - before.txBytes).toBe(14 + 20 + 8 + 1000);
    // A frame of an EtherType nobody speaks is counted as noproto (and dropped).
    const odd = new Uint8Array(60);
    odd.set(ia.mac, 0);
    odd[12] = 0x88;
    odd[13] = 0xb5; // IEEE 802 local experimental EtherType
    p.a.receiveFrame(ia, odd);
    expect([ia.counters.rxNoProto, ia.counters.rxBytes - before.rxBytes]).toEqual([1, 1042 + 60]);
  });

  it('rate-limits ARP requests to one per second per address and drops frames it cannot resolve', () => {
    const p = makePair(101);
    const u = p.b.udpSocket();
    const requests: number[] = [];
    p.link.tap = (_f, frame) => {
      const eth = wire.parseEthernet(frame);
      if (eth.etherType === wire.EtherType.ARP && wire.parseArp(eth.payload).operation === 1)
        requests.push(p.clock.monotonicNs());
    };
    for (let i = 0; i < 50; i++) {
      u.sendTo(Uint8Array.of(i), { address: IpAddress.parse('10.0.0.77'), port: 9 });
      p.sim.runFor(100e6);
    }
    p.sim.runFor(5e9);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests.length).toBeLessThanOrEqual(10);
    for (let i = 1; i < requests.length; i++) expect(requests[i]! - requests[i - 1]!).toBeGreaterThanOrEqual(1e9);
    const iface = p.b.interface('eth0')!;
    expect(iface.arp.dropped).toBeGreaterThan(40);
    expect(iface.arp.size).toBe(0);
  });

  it('exchanges UDP datagrams, keeping boundaries and source addresses', () => {
    const p = makePair(102);
    const srv = p.a.udpSocket();
    srv.bind({ address: IpAddress.parse('0.0.0.0'), port: 53 });
    const cli = p.b.udpSocket();
    cli.sendTo(new TextEncoder().encode('one'), { address: p.addrA, port: 53 });
    cli.sendTo(new TextEncoder().encode('two!'), { address: p.addrA, port: 53 });
    p.sim.runFor(10e6);
    expect(srv.readiness() & PollEvents.IN).toBeTruthy();
    const a = recvUdp(srv);
    const b = recvUdp(srv);
    expect([new TextDecoder().decode(a.data), new TextDecoder().decode(b.data)]).toEqual(['one', 'two!']);
    expect(a.from.address.toString()).toBe('10.0.0.2');
    srv.sendTo(Uint8Array.of(42), a.from);
    p.sim.runFor(10e6);
    expect([...recvUdp(cli).data]).toEqual([42]);
    expect(errnoOf(() => srv.recvFrom(new Uint8Array(1)))).toBe(Errno.EAGAIN);
  });

  it('reports ICMP port unreachable as ECONNREFUSED on a connected UDP socket only', () => {
    const p = makePair(103);
    const connected = p.b.udpSocket();
    connected.connect({ address: p.addrA, port: 4444 });
    connected.sendTo(Uint8Array.of(1));
    const loose = p.b.udpSocket();
    loose.sendTo(Uint8Array.of(1), { address: p.addrA, port: 4445 });
    p.sim.runFor(50e6);
    expect(p.a.counters.icmpErrorsSent).toBe(2);
    expect(connected.readiness() & PollEvents.ERR).toBeTruthy();
    expect(errnoOf(() => connected.recvFrom(new Uint8Array(10)))).toBe(Errno.ECONNREFUSED);
    expect(loose.readiness() & PollEvents.ERR).toBe(0);
  });

  it('rate-limits ICMP errors (RFC 1812 §4.3.2.8)', () => {
    const p = makePair(104);
    const u = p.b.udpSocket();
    p.b.pingSocket().send(p.addrA, 1);
    p.sim.runFor(10e6); // resolve ARP first
    for (let i = 0; i < 300; i++) u.sendTo(Uint8Array.of(1), { address: p.addrA, port: 1000 + i });
    p.sim.runFor(100e6);
    expect(p.a.counters.icmpErrorsSent).toBe(100);
    expect(p.a.counters.icmpErrorsSuppressed).toBe(200);
  });

  it('fragments a large datagram and reassembles it, in any arrival order', () => {
    const p = makePair(105, { reorder: 0.5, reorderDelayNs: 3e6, jitterNs: 2e6 });
    const srv = p.a.udpSocket();
    srv.bind({ address: p.addrA, port: 7 });
    const cli = p.b.udpSocket();
    const big = pattern(20_000, 105);
    let frames = 0;
    p.link.tap = () => frames++;
    cli.sendTo(big, { address: p.addrA, port: 7 });
    p.sim.runFor(100e6);
    expect(frames).toBeGreaterThanOrEqual(14);
    expect(equalBytes(recvUdp(srv).data, big)).toBe(true);
    expect(p.a.counters.fragmentsReassembled).toBe(1);
  });

  it('requires SO_BROADCAST to send to 255.255.255.255', () => {
    const p = makePair(106);
    const u = p.b.udpSocket();
    expect(errnoOf(() => u.sendTo(Uint8Array.of(1), { address: IpAddress.parse('255.255.255.255'), port: 9 }))).toBe(
      Errno.EACCES,
    );
    u.setOption('SO_BROADCAST', true);
    const rx = p.a.udpSocket();
    rx.bind({ address: IpAddress.parse('0.0.0.0'), port: 9 });
    u.sendTo(Uint8Array.of(7), { address: IpAddress.parse('255.255.255.255'), port: 9 });
    p.sim.runFor(10e6);
    expect([...recvUdp(rx).data]).toEqual([7]);
  });

  it('routes off-link destinations through the default gateway by longest prefix', () => {
    const p = makePair(107);
    const ia = p.a.interface('eth0')!;
    p.a.addGateway(ia, p.addrB);
    expect(p.a.routes.lookup(IpAddress.parse('8.8.8.8'))?.gateway?.toString()).toBe('10.0.0.2');
    expect(p.a.routes.lookup(IpAddress.parse('10.0.0.9'))?.gateway).toBeUndefined();
    expect(p.a.routes.lookup(IpAddress.parse('127.0.0.5'))?.iface).toBe(p.a.loopback);
    // A datagram to 8.8.8.8 leaves with the gateway's MAC.
    let dst: string | undefined;
    p.link.tap = (_f, frame) => {
      const eth = wire.parseEthernet(frame);
      if (eth.etherType === wire.EtherType.IPv4) dst = Array.from(eth.destination).join(',');
    };
    p.a.udpSocket().sendTo(Uint8Array.of(1), { address: IpAddress.parse('8.8.8.8'), port: 53 });
    p.sim.runFor(10e6);
    expect(dst).toBe(Array.from(p.link.b.mac).join(','));
  });

  it('survives 10^4 hostile frames and still completes a transfer', () => {
    const p = makePair(108);
    const iface = p.a.interface('eth0')!;
    const captured: Uint8Array[] = [];
    p.link.tap = (_f, frame) => {
      if (captured.length < 64) captured.push(Uint8Array.from(frame));
    };
    const data = pattern(100_000, 108);
    expect(equalBytes(transfer(p, data, 5000).received, data)).toBe(true);
    const rng = new SeededRandom(108);
    fc.assert(
      fc.property(
        fc.nat(captured.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
        fc.nat(),
        (which, flips, cut) => {
          const f = Uint8Array.from(captured[which]!);
          f.set(iface.mac, 0);
          for (const [i, v] of flips) f[14 + (i % Math.max(1, f.length - 14))] = v;
          const g = rng.next() < 0.2 ? f.subarray(0, 14 + (cut % (f.length - 13))) : f;
          p.a.receiveFrame(iface, g);
        },
      ),
      { numRuns: 10_000 },
    );
    expect(iface.counters.rxMalformed).toBeGreaterThan(0);
    const again = pattern(100_000, 109);
    expect(equalBytes(transfer(p, again, 5001).received, again)).toBe(true);
  });
});

describe('IPv6', () => {
  function routerAdvertisement(router: IpAddress, routerMac: Uint8Array, prefix: string): Uint8Array {
    const body = wire.routerAdvertisementBody(
      [
        {
          prefixLength: 64,
          onLink: true,
          autonomous: true,
          validLifetimeS: 86400,
          preferredLifetimeS: 14400,
          prefix: IpAddress.parse(prefix).bytes,
        },
      ],
      routerMac,
      1500,
    );
    const allNodes = IpAddress.parse('ff02::1');
    const icmp = wire.emitIcmpv6(134, 0, ((64 << 24) | 1800) >>> 0, body, router.bytes, allNodes.bytes);
    const frame = new Uint8Array(14 + 40 + icmp.length);
    wire.emitEthernetHeader(frame, Uint8Array.of(0x33, 0x33, 0, 0, 0, 1), routerMac, wire.EtherType.IPv6);
    wire.emitIpv6Header(frame, 14, {
      source: router.bytes,
      destination: allNodes.bytes,
      protocol: 58,
      payloadLength: icmp.length,
      hopLimit: 255,
    });
    frame.set(icmp, 54);
    return frame;
  }

  it('configures link-local and SLAAC addresses after DAD, learns the default router, pings and carries TCP', () => {
    const p = makePair(110, {}, {}, true);
    const ia = p.a.interface('eth0')!;
    const ib = p.b.interface('eth0')!;
    expect(ia.ipv6.map((a) => a.state)).toEqual(['tentative']);
    p.sim.runFor(1.5e9);
    expect(ia.ipv6[0]!.state).toBe('preferred');
    expect(ia.ipv6[0]!.address.toString()).toBe('fe80::ff:fe00:a');
    // b plays the router.
    p.a.receiveFrame(ia, routerAdvertisement(ib.linkLocalAddress(), ib.mac, '2001:db8:1::'));
    p.b.addIpv6Address(ib, IpAddress.parse('2001:db8:1::b'), 64);
    p.sim.runFor(1.5e9);
    const global = ia.ipv6.find((a) => a.origin === 'slaac')!;
    expect(global.address.toString()).toBe('2001:db8:1::ff:fe00:a');
    expect(global.state).toBe('preferred');
    expect(p.a.routes.lookup(IpAddress.parse('2600::1'))?.gateway?.toString()).toBe(ib.linkLocalAddress().toString());

    const ping = p.a.pingSocket(6);
    ping.send(IpAddress.parse('2001:db8:1::b'), 9, Uint8Array.of(5));
    p.sim.runFor(100e6);
    expect(ping.receive().sequence).toBe(9);
    expect(ia.ndp.state('2001:db8:1::b')).toBe('REACHABLE');

    const l = p.b.tcpSocket(6);
    l.bind({ address: IpAddress.parse('::'), port: 80 });
    l.listen();
    const c = p.a.tcpSocket(6);
    expect(errnoOf(() => c.connect({ address: IpAddress.parse('2001:db8:1::b'), port: 80 }))).toBe(Errno.EINPROGRESS);
    p.sim.runUntil(() => l.acceptQueue.length === 1, 5e9);
    expect(c.connection!.endpoints.localAddress.toString()).toBe('2001:db8:1::ff:fe00:a');
    // NUD: with no traffic the entry goes STALE after ReachableTime; sending moves it to DELAY,
    // and with the peer's answers (TCP ACKs do not confirm here) it is probed back to REACHABLE.
    p.sim.runFor(40e9);
    expect(ia.ndp.state('2001:db8:1::b')).toBe('STALE');
    ping.send(IpAddress.parse('2001:db8:1::b'), 10);
    expect(ia.ndp.state('2001:db8:1::b')).toBe('DELAY');
    p.sim.runFor(5.5e9);
    expect(ia.ndp.state('2001:db8:1::b')).toBe('REACHABLE');
  });

  it('detects a duplicate address during DAD (RFC 4862 §5.4.4)', () => {
    const p = makePair(111, {}, {}, true);
    const ia = p.a.interface('eth0')!;
    const ib = p.b.interface('eth0')!;
    p.sim.runFor(1.5e9);
    p.a.addIpv6Address(ia, IpAddress.parse('2001:db8::5'), 64);
    p.b.addIpv6Address(ib, IpAddress.parse('2001:db8::5'), 64);
    p.sim.runFor(2e9);
    expect(ia.ipv6.find((a) => a.address.toString() === '2001:db8::5')!.state).toBe('duplicate');
    expect(ib.ipv6.find((a) => a.address.toString() === '2001:db8::5')!.state).toBe('duplicate');
  });
});

describe('ARP re-verification', () => {
  it('keeps sending to a stale entry while re-verifying it by unicast, and drops it when the peer is gone', () => {
    const p = makePair(120);
    const u = p.b.udpSocket();
    const rx = p.a.udpSocket();
    rx.bind({ address: p.addrA, port: 9 });
    const requests: string[] = [];
    p.link.tap = (_f, frame) => {
      const eth = wire.parseEthernet(frame);
      if (eth.etherType === wire.EtherType.ARP && wire.parseArp(eth.payload).operation === 1)
        requests.push(eth.destination[0] === 0xff ? 'broadcast' : 'unicast');
    };
    u.sendTo(Uint8Array.of(1), { address: p.addrA, port: 9 });
    p.sim.runFor(61e9); // past the entry's lifetime
    let delivered = 0;
    for (let i = 0; i < 20; i++) {
      u.sendTo(Uint8Array.of(2), { address: p.addrA, port: 9 });
      p.sim.runFor(10e6);
    }
    while (rx.peekSize() !== undefined) {
      rx.recvFrom(new Uint8Array(4));
      delivered++;
    }
    expect(delivered).toBe(21); // nothing was held back by the refresh
    expect(requests).toEqual(['broadcast', 'unicast']);
    expect(p.b.interface('eth0')!.arp.dropped).toBe(0);
    // The peer disappears: the next refresh gets no answer and the entry is dropped after 3 tries.
    p.link.impairments = { ...p.link.impairments, loss: 1 };
    p.sim.runFor(61e9);
    u.sendTo(Uint8Array.of(3), { address: p.addrA, port: 9 });
    p.sim.runFor(5e9);
    expect(requests.slice(2)).toEqual(['unicast', 'unicast', 'unicast']);
    expect(p.b.interface('eth0')!.arp.size).toBe(0);
  });
});

describe('path MTU discovery (RFC 1191)', () => {
  it('shrinks TCP segments when a router on the path reports "fragmentation needed"', () => {
    const p = makePair(130);
    const ib = p.b.interface('eth0')!;
    const link = p.link as unknown as { carry: (from: unknown, frame: Uint8Array) => void };
    const carry = link.carry.bind(p.link);
    let reports = 0;
    let biggest = 0;
    link.carry = (from, frame) => {
      if (from === p.link.b && frame.length > 14 + 1000) {
        // A router with a 1000-byte next hop drops it and answers with ICMP type 3 code 4.
        const ip = frame.subarray(14, 14 + 28);
        const icmp = wire.emitIcmpv4(3, 4, 1000, ip);
        const out = new Uint8Array(14 + 20 + icmp.length);
        wire.emitEthernetHeader(out, ib.mac, p.link.a.mac, wire.EtherType.IPv4);
        wire.emitIpv4Header(out, 14, {
          source: IpAddress.parse('10.0.0.254').v4,
          destination: p.addrB.v4,
          protocol: 1,
          payloadLength: icmp.length,
        });
        out.set(icmp, 34);
        reports++;
        p.b.receiveFrame(ib, out);
        return;
      }
      if (from === p.link.b) biggest = Math.max(biggest, frame.length - 14);
      carry(from, frame);
    };
    const data = pattern(200_000, 130);
    const r = transfer(p, data, 5000, 60e9);
    expect(equalBytes(r.received, data)).toBe(true);
    expect(reports).toBeGreaterThan(0);
    expect(biggest).toBeLessThanOrEqual(1000);
    expect(r.client.connection!.counters.timeouts).toBe(0);
  });
});

describe('IPv6 fragmentation (RFC 8200 §4.5)', () => {
  it('fragments a large UDP datagram at the source and reassembles it out of order', () => {
    const p = makePair(140, { reorder: 0.5, reorderDelayNs: 3e6, jitterNs: 1e6 }, {}, true);
    const a6 = IpAddress.parse('2001:db8::a');
    const b6 = IpAddress.parse('2001:db8::b');
    p.a.addIpv6Address(p.a.interface('eth0')!, a6, 64);
    p.b.addIpv6Address(p.b.interface('eth0')!, b6, 64);
    p.sim.runFor(2e9);
    const srv = p.a.udpSocket(6);
    srv.bind({ address: a6, port: 7 });
    const big = pattern(9000, 140);
    let fragments = 0;
    p.link.tap = (_f, frame) => {
      const eth = wire.parseEthernet(frame);
      if (eth.etherType === wire.EtherType.IPv6 && eth.payload[6] === 44) fragments++;
    };
    p.b.udpSocket(6).sendTo(big, { address: a6, port: 7 });
    p.sim.runFor(200e6);
    expect(fragments).toBe(7);
    expect(equalBytes(recvUdp(srv).data, big)).toBe(true);
    expect(p.a.counters.fragmentsReassembled).toBe(1);
  });
});

describe('re-entrancy', () => {
  it('defers frames a device delivers synchronously from inside transmit()', async () => {
    const { VirtualClock } = await import('@osv-ts/core-sched');
    const { NetStack, SeededRandom } = await import('../src/index.js');
    // Two stacks wired back to back with no queue at all: transmit() calls the peer's receiver.
    const clock = new VirtualClock();
    const mk = (mac: number) => {
      const dev = {
        name: 'wire',
        mac: Uint8Array.of(2, 0, 0, 0, 0, mac),
        mtu: 1500,
        offloads: { txChecksum: false, rxChecksumVerified: false },
        linkUp: true,
        peer: undefined as undefined | { rx?: (f: Uint8Array) => void },
        rx: undefined as undefined | ((f: Uint8Array) => void),
        transmit(f: Uint8Array) {
          dev.peer!.rx?.(f);
          return true;
        },
        setReceiver(r: (f: Uint8Array) => void) {
          dev.rx = r;
        },
      };
      return dev;
    };
    const da = mk(1);
    const db = mk(2);
    da.peer = db;
    db.peer = da;
    const a = new NetStack({ clock, entropy: new SeededRandom(1) });
    const b = new NetStack({ clock, entropy: new SeededRandom(2) });
    a.addIpv4Address(a.addInterface(da, { ipv6: false }), IpAddress.parse('10.1.0.1'), 24);
    b.addIpv4Address(b.addInterface(db, { ipv6: false }), IpAddress.parse('10.1.0.2'), 24);
    // Every reply arrives while the replier's peer is still inside transmit(): it must be
    // deferred to poll(), not re-enter the connection mid-update.
    const l = a.tcpSocket();
    l.bind({ address: IpAddress.parse('10.1.0.1'), port: 80 });
    l.listen();
    const c = b.tcpSocket();
    errnoOf(() => c.connect({ address: IpAddress.parse('10.1.0.1'), port: 80 }));
    for (let i = 0; i < 50 && l.acceptQueue.length === 0; i++) {
      a.poll();
      b.poll();
    }
    expect(l.acceptQueue.length).toBe(1);
    const s = l.accept();
    const data = pattern(100_000, 5);
    let sent = 0;
    const got: number[] = [];
    const buf = new Uint8Array(65536);
    for (let i = 0; i < 10_000 && got.length < data.length; i++) {
      for (let n; sent < data.length && (n = c.write(data.subarray(sent))) > 0;) sent += n;
      for (let n; (n = s.read(buf)) > 0;) got.push(...buf.subarray(0, n));
      a.poll();
      b.poll();
    }
    expect(equalBytes(Uint8Array.from(got), data)).toBe(true);
  });
});

describe('device back-pressure', () => {
  it('holds frames a full device refuses and sends them, in order, on onTransmitReady', async () => {
    const { VirtualClock } = await import('@osv-ts/core-sched');
    const { NetStack, SeededRandom, SimulatedLink, Simulation, PERFECT_LINK } = await import('../src/index.js');
    const clock = new VirtualClock();
    const link = new SimulatedLink(clock, new SeededRandom(7), PERFECT_LINK);
    // A device with an 8-frame transmit ring, emptied between simulation steps.
    const ring: Uint8Array[] = [];
    let refused = 0;
    const dev = {
      name: 'ring',
      mac: link.b.mac,
      mtu: 1500,
      offloads: link.b.offloads,
      linkUp: true,
      onTransmitReady: undefined as undefined | (() => void),
      transmit(f: Uint8Array) {
        if (ring.length >= 8) {
          refused++;
          return false;
        }
        ring.push(f);
        return true;
      },
      setReceiver(r: (f: Uint8Array) => void) {
        link.b.setReceiver(r);
      },
    };
    const a = new NetStack({ clock, entropy: new SeededRandom(1) });
    const b = new NetStack({ clock, entropy: new SeededRandom(2) });
    a.addIpv4Address(a.addInterface(link.a, { ipv6: false }), IpAddress.parse('10.2.0.1'), 24);
    const ib = b.addInterface(dev, { ipv6: false });
    b.addIpv4Address(ib, IpAddress.parse('10.2.0.2'), 24);
    const sim = new Simulation(clock, [a, b], [link]);
    const l = a.tcpSocket();
    l.bind({ address: IpAddress.parse('10.2.0.1'), port: 80 });
    l.listen();
    const c = b.tcpSocket();
    errnoOf(() => c.connect({ address: IpAddress.parse('10.2.0.1'), port: 80 }));
    const data = pattern(500_000, 8);
    let sent = 0;
    let s: ReturnType<typeof l.accept> | undefined;
    const got: Uint8Array[] = [];
    let total = 0;
    const buf = new Uint8Array(65536);
    sim.runUntil(() => {
      const wasFull = ring.length >= 8;
      for (const f of ring.splice(0)) link.b.transmit(f);
      if (wasFull) dev.onTransmitReady?.();
      if (!s && l.acceptQueue.length) s = l.accept();
      if (c.connection!.established)
        for (let n; sent < data.length && (n = c.write(data.subarray(sent))) > 0;) sent += n;
      if (s)
        for (let n; (n = s.read(buf)) > 0;) {
          got.push(buf.slice(0, n));
          total += n;
        }
      return total === data.length;
    }, 60e9);
    const all = new Uint8Array(total);
    let o = 0;
    for (const g of got) {
      all.set(g, o);
      o += g.length;
    }
    expect(equalBytes(all, data)).toBe(true);
    expect(refused).toBeGreaterThan(0);
    expect(ib.counters.txDropped).toBe(0);
    expect(c.connection!.counters.retransmits).toBe(0); // nothing was lost to back-pressure
  });
});

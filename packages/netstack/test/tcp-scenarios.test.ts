// Scripted RFC 9293 scenarios between two stacks (and crafted segments where a scenario needs
// a misbehaving or absent peer).
import { describe, expect, it } from 'vitest';
import { Errno } from '@osv-ts/kernel-api';
import { IpAddress, PollEvents, type TcpSocket } from '../src/index.js';
import * as wire from '../src/wire/index.js';
import { equalBytes, errnoOf, injectTcp, makePair, pattern, tcpOf, transfer, type Pair } from './harness.js';

const F = wire.TcpFlags;

function establish(
  p: Pair,
  port = 7000,
  clientOptions: Partial<Record<'rcvbuf' | 'sndbuf', number>> = {},
  serverRcvBuf?: number,
) {
  const listener = p.a.tcpSocket(p.addrA.version);
  if (serverRcvBuf) listener.setOption('SO_RCVBUF', serverRcvBuf);
  listener.bind({ address: p.addrA, port });
  listener.listen(8);
  const client = p.b.tcpSocket(p.addrA.version);
  if (clientOptions.sndbuf) client.setOption('SO_SNDBUF', clientOptions.sndbuf);
  expect(errnoOf(() => client.connect({ address: p.addrA, port }))).toBe(Errno.EINPROGRESS);
  let server: TcpSocket | undefined;
  p.sim.runUntil(() => {
    if (!server) errnoOf(() => (server = listener.accept()));
    return server !== undefined && client.connection!.state === 'ESTABLISHED';
  }, 10e9);
  return { listener, client, server: server!, cc: client.connection!, sc: server!.connection! };
}

function concatAll(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function readAll(s: TcpSocket): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    let n = 0;
    if (errnoOf(() => (n = s.recv(buf))) !== 0 || n === 0) break;
    chunks.push(buf.slice(0, n));
  }
  return concatAll(chunks);
}

/** Sends `data` from client to server over an established pair; what the server read. */
function sendAll(p: Pair, client: TcpSocket, server: TcpSocket, data: Uint8Array, maxTimeNs: number): Uint8Array {
  let sent = 0;
  const got: Uint8Array[] = [];
  let have = 0;
  p.sim.runUntil(() => {
    while (sent < data.length && errnoOf(() => (sent += client.send(data.subarray(sent)))) === 0);
    const r = readAll(server);
    if (r.length) got.push(r);
    have += r.length;
    return have === data.length;
  }, maxTimeNs);
  return concatAll(got);
}

describe('connection establishment', () => {
  it('completes the three-way handshake and reports writability', () => {
    const p = makePair(1);
    const { client, cc, sc } = establish(p);
    expect(cc.stateHistory).toEqual(['CLOSED', 'SYN-SENT', 'ESTABLISHED']);
    expect(sc.stateHistory).toEqual(['CLOSED', 'SYN-RECEIVED', 'ESTABLISHED']);
    expect(client.readiness() & PollEvents.OUT).toBeTruthy();
    expect(errnoOf(() => client.connect({ address: p.addrA, port: 7000 }))).toBe(Errno.EISCONN);
  });

  it('negotiates window scaling, SACK and timestamps and uses windows beyond 64 KiB', () => {
    const p = makePair(2);
    const { client, server, cc } = establish(p);
    const data = pattern(600_000, 2);
    let sent = 0;
    let maxWnd = 0;
    const got: Uint8Array[] = [];
    p.sim.runUntil(() => {
      while (sent < data.length && errnoOf(() => (sent += client.send(data.subarray(sent, sent + 65536)))) === 0);
      maxWnd = Math.max(maxWnd, cc.sndWnd);
      const r = readAll(server);
      if (r.length) got.push(r);
      return got.reduce((a, c) => a + c.length, 0) === data.length;
    }, 60e9);
    expect(maxWnd).toBeGreaterThan(65535);
    expect(cc.mss).toBe(1460 - 12); // timestamps take 12 option bytes per segment
  });

  it('sizes default buffers to 32 segments on a large-MTU link, moving 64 KiB segments; SO_SNDBUF set by the app stays', () => {
    const p = makePair(21, {}, {}, false, 65520);
    const { client, server, cc, sc } = establish(p);
    expect(cc.mss).toBe(65520 - 40 - 12);
    expect(client.getOption('SO_SNDBUF')).toBe(32 * (65520 - 40));
    expect(server.getOption('SO_RCVBUF')).toBe(32 * (65520 - 40));
    const data = pattern(3_000_000, 21);
    expect(equalBytes(sendAll(p, client, server, data, 60e9), data)).toBe(true);
    expect(sc.counters.segmentsReceived).toBeLessThan(data.length / 60_000 + 20);

    const small = makePair(22, {}, {}, false, 1500);
    expect(establish(small).client.getOption('SO_SNDBUF')).toBe(256 * 1024);
    const chosen = makePair(23, {}, {}, false, 65520);
    expect(establish(chosen, 7000, { sndbuf: 100_000 }).client.getOption('SO_SNDBUF')).toBe(100_000);
  });

  for (const [ipv6, lossy] of [
    [false, false],
    [false, true],
    [true, false],
  ])
    it(`hands a TSO device segments of up to 64 KiB that it cuts into MSS-sized ones, bytes exact (${ipv6 ? 'IPv6' : 'IPv4'}${lossy ? ', lossy link' : ''})`, () => {
      const p = makePair(31, lossy ? { loss: 0.01, reorder: 0.01 } : {}, {}, ipv6, 1500, true);
      if (ipv6) {
        p.addrA = IpAddress.parse('2001:db8::a');
        p.a.addIpv6Address(p.a.interface('eth0')!, p.addrA, 64);
        p.b.addIpv6Address(p.b.interface('eth0')!, IpAddress.parse('2001:db8::b'), 64);
        p.sim.runFor(2e9); // duplicate address detection
      }
      const { client, server, sc } = establish(p, 7100);
      // Default buffers hold 32 of what the device takes at once (a 64 KiB datagram), not 32 MSS.
      expect(client.getOption('SO_SNDBUF')).toBe(32 * (65535 - (ipv6 ? 40 : 20)));
      const data = pattern(2_000_000, 31);
      expect(equalBytes(sendAll(p, client, server, data, 120e9), data)).toBe(true);
      // The peer verified every cut segment's checksum (its port has no checksum offload): a
      // wrong partial sum would have lost them all.
      const cut = p.link.counters.segmentedFrames;
      expect(cut).toBeGreaterThan(lossy ? 10 : data.length / 65536 / 2);
      expect(sc.counters.segmentsReceived).toBeGreaterThan(data.length / 1500);
    });

  it('answers ECONNREFUSED when the peer port is closed (RST in SYN-SENT)', () => {
    const p = makePair(3);
    const c = p.b.tcpSocket();
    expect(errnoOf(() => c.connect({ address: p.addrA, port: 9 }))).toBe(Errno.EINPROGRESS);
    p.sim.runUntil(() => c.connection!.state === 'CLOSED', 10e9);
    expect(c.readiness() & PollEvents.ERR).toBeTruthy();
    expect(c.getOption('SO_ERROR')).toBe(Errno.ECONNREFUSED);
    expect(p.a.counters.tcpResetsSent).toBe(1);
  });

  it('opens simultaneously when both ends connect to each other (RFC 9293 §3.5 fig. 8)', () => {
    const p = makePair(4);
    const x = p.a.tcpSocket();
    const y = p.b.tcpSocket();
    x.bind({ address: p.addrA, port: 1111 });
    y.bind({ address: p.addrB, port: 2222 });
    expect(errnoOf(() => x.connect({ address: p.addrB, port: 2222 }))).toBe(Errno.EINPROGRESS);
    expect(errnoOf(() => y.connect({ address: p.addrA, port: 1111 }))).toBe(Errno.EINPROGRESS);
    p.sim.runUntil(() => x.connection!.state === 'ESTABLISHED' && y.connection!.state === 'ESTABLISHED', 10e9);
    expect(x.connection!.stateHistory).toEqual(['CLOSED', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
    expect(y.connection!.stateHistory).toEqual(['CLOSED', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
    x.send(new TextEncoder().encode('hello'));
    p.sim.runFor(100e6);
    expect(new TextDecoder().decode(readAll(y))).toBe('hello');
  });

  it('retransmits a lost SYN with exponential backoff and gives up with ETIMEDOUT', () => {
    const p = makePair(5, { loss: 1 });
    const c = p.b.tcpSocket();
    const synTimes: number[] = [];
    const output = p.b.output.bind(p.b);
    p.b.output = (conn, seg) => {
      if (seg.flags & F.SYN) synTimes.push(p.clock.monotonicNs());
      output(conn, seg);
    };
    errnoOf(() => c.connect({ address: p.addrA, port: 80 }));
    p.sim.runUntil(() => c.connection!.state === 'CLOSED', 600e9);
    expect(c.getOption('SO_ERROR')).toBe(Errno.ETIMEDOUT);
    expect(synTimes.length).toBe(7); // initial + 6 retries (tcp_syn_retries)
    const gaps = synTimes.slice(1).map((t, i) => Math.round((t - synTimes[i]!) / 1e9));
    expect(gaps).toEqual([1, 2, 4, 8, 16, 32]);
  });

  it('bounds the listen backlog and admits later SYNs once accept() drains it', () => {
    const p = makePair(6);
    const l = p.a.tcpSocket();
    l.bind({ address: p.addrA, port: 8080 });
    l.listen(2);
    const clients = [0, 1, 2, 3].map(() => {
      const c = p.b.tcpSocket();
      errnoOf(() => c.connect({ address: p.addrA, port: 8080 }));
      return c;
    });
    p.sim.runFor(500e6);
    expect(l.acceptQueue.length).toBe(2);
    expect(clients.filter((c) => c.connection!.state === 'ESTABLISHED').length).toBe(2);
    const accepted = [l.accept(), l.accept()];
    expect(errnoOf(() => l.accept())).toBe(Errno.EAGAIN);
    p.sim.runUntil(
      () => clients.every((c) => c.connection!.state === 'ESTABLISHED') && l.acceptQueue.length === 2,
      30e9,
    );
    expect(accepted.length + l.acceptQueue.length).toBe(4);
  });

  it('gives different ISNs to different 4-tuples and to the same tuple later (RFC 6528)', () => {
    const p = makePair(7);
    const isns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = p.b.tcpSocket();
      errnoOf(() => c.connect({ address: p.addrA, port: 9000 + i }));
      isns.push(c.connection!.iss);
    }
    expect(new Set(isns).size).toBe(3);
  });
});

describe('RST processing (RFC 9293 §3.10.7.4, RFC 5961 §3)', () => {
  it('ignores a RST in LISTEN and never answers a RST to a closed port (RFC 9293 §3.10.7.1–2)', () => {
    const p = makePair(9);
    const l = p.a.tcpSocket();
    l.bind({ address: p.addrA, port: 7002 });
    l.listen();
    const sent: number[] = [];
    p.link.tap = (from) => from === p.link.a && sent.push(1);
    injectTcp(p.a, { from: p.addrB, to: p.addrA, sport: 40001, dport: 7002, seq: 5, flags: F.RST });
    injectTcp(p.a, { from: p.addrB, to: p.addrA, sport: 40001, dport: 7003, seq: 5, flags: F.RST });
    p.sim.runFor(100e6);
    expect(sent.length).toBe(0);
    expect(l.listening && !l.closed).toBe(true);
    // An ACK to a listener (no connection) draws a RST whose sequence number is the ACK's.
    const rsts: wire.TcpSegment[] = [];
    p.link.tap = (from, frame) => {
      const t = tcpOf(frame);
      if (from === p.link.a && t) rsts.push(t);
    };
    injectTcp(p.a, { from: p.addrB, to: p.addrA, sport: 40001, dport: 7002, seq: 5, ack: 777, flags: F.ACK });
    p.sim.runFor(100e6);
    expect(rsts.map((r) => [r.flags, r.seq])).toEqual([[F.RST, 777]]);
  });

  it('drops a half-open child in SYN-RECEIVED on an exact RST', () => {
    const p = makePair(10);
    const l = p.a.tcpSocket();
    l.bind({ address: p.addrA, port: 7001 });
    l.listen(4);
    injectTcp(p.a, { from: p.addrB, to: p.addrA, sport: 40000, dport: 7001, seq: 1000, flags: F.SYN });
    expect(p.a.tcpConnections().map((c) => c.state)).toEqual(['SYN-RECEIVED']);
    injectTcp(p.a, { from: p.addrB, to: p.addrA, sport: 40000, dport: 7001, seq: 1001, flags: F.RST });
    expect(p.a.tcpConnections()).toEqual([]);
    expect(errnoOf(() => l.accept())).toBe(Errno.EAGAIN);
  });

  it('resets ESTABLISHED on an exact RST, challenges an in-window one and ignores others', () => {
    const p = makePair(11);
    const { server, sc } = establish(p);
    const base = { from: p.addrB, to: p.addrA, sport: sc.endpoints.remotePort, dport: 7000 };
    injectTcp(p.a, { ...base, seq: sc.rcvNxt + 100_000_000, flags: F.RST }); // outside the window
    expect(sc.state).toBe('ESTABLISHED');
    expect(sc.counters.challengeAcks).toBe(0);
    injectTcp(p.a, { ...base, seq: sc.rcvNxt + 10, flags: F.RST }); // in window, not exact
    expect(sc.state).toBe('ESTABLISHED');
    expect(sc.counters.challengeAcks).toBe(1);
    injectTcp(p.a, { ...base, seq: sc.rcvNxt, flags: F.RST });
    expect(sc.state).toBe('CLOSED');
    expect(errnoOf(() => server.recv(new Uint8Array(10)))).toBe(Errno.ECONNRESET);
  });

  it('challenges a SYN in ESTABLISHED instead of resetting (RFC 5961 §4)', () => {
    const p = makePair(12);
    const { sc } = establish(p);
    injectTcp(p.a, {
      from: p.addrB,
      to: p.addrA,
      sport: sc.endpoints.remotePort,
      dport: 7000,
      seq: sc.rcvNxt + 5,
      flags: F.SYN,
    });
    expect(sc.state).toBe('ESTABLISHED');
    expect(sc.counters.challengeAcks).toBe(1);
  });

  it('challenges an ACK for data that was never sent... and drops ACKs older than the window', () => {
    const p = makePair(13);
    const { sc } = establish(p);
    const before = sc.counters.segmentsSent;
    injectTcp(p.a, {
      from: p.addrB,
      to: p.addrA,
      sport: sc.endpoints.remotePort,
      dport: 7000,
      seq: sc.rcvNxt,
      ack: sc.sndNxt + 5000,
      flags: F.ACK,
    });
    expect(sc.state).toBe('ESTABLISHED');
    expect(sc.counters.segmentsSent).toBe(before + 1); // RFC 5961 §5.2: ACK, drop
    injectTcp(p.a, {
      from: p.addrB,
      to: p.addrA,
      sport: sc.endpoints.remotePort,
      dport: 7000,
      seq: sc.rcvNxt,
      ack: sc.sndUna - 2_000_000_000,
      flags: F.ACK,
    });
    expect(sc.counters.challengeAcks).toBe(1);
  });

  for (const state of ['FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT'] as const) {
    it(`closes from ${state} on an exact RST`, () => {
      const p = makePair(20);
      const { client, server, sc } = establish(p);
      const base = () => ({ from: p.addrB, to: p.addrA, sport: sc.endpoints.remotePort, dport: 7000 });
      switch (state) {
        case 'FIN-WAIT-1':
          p.link.impairments = { ...p.link.impairments, loss: 1 };
          server.shutdown('write');
          break;
        case 'FIN-WAIT-2':
          client.setOption('SO_KEEPALIVE', false);
          server.shutdown('write');
          p.sim.runFor(50e6);
          break;
        case 'CLOSE-WAIT':
          client.shutdown('write');
          p.sim.runFor(50e6);
          break;
        case 'CLOSING':
          p.link.impairments = { ...p.link.impairments, loss: 1 };
          server.shutdown('write');
          injectTcp(p.a, { ...base(), seq: sc.rcvNxt, ack: sc.sndUna, flags: F.FIN | F.ACK });
          break;
        case 'LAST-ACK':
          client.shutdown('write');
          p.sim.runFor(50e6);
          p.link.impairments = { ...p.link.impairments, loss: 1 };
          server.shutdown('write');
          break;
        case 'TIME-WAIT':
          server.shutdown('write');
          p.sim.runFor(50e6);
          client.shutdown('write');
          p.sim.runFor(50e6);
          break;
      }
      expect(sc.state).toBe(state);
      injectTcp(p.a, { ...base(), seq: sc.rcvNxt, flags: F.RST });
      expect(sc.state).toBe('CLOSED');
      expect(p.a.tcpConnections()).toEqual([]);
    });
  }
});

describe('closing', () => {
  it('closes simultaneously through CLOSING into TIME-WAIT on both ends (RFC 9293 §3.6 fig. 13)', () => {
    const p = makePair(30);
    const { client, server, cc, sc } = establish(p);
    client.shutdown('write');
    server.shutdown('write');
    p.sim.runFor(100e6);
    expect(cc.stateHistory.slice(-3)).toEqual(['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT']);
    expect(sc.stateHistory.slice(-3)).toEqual(['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT']);
    p.sim.runFor(61e9);
    expect(cc.state).toBe('CLOSED');
    expect(sc.state).toBe('CLOSED');
  });

  it('holds TIME-WAIT for 2·MSL, re-ACKs a retransmitted FIN, and guards the port unless SO_REUSEADDR', () => {
    const p = makePair(31);
    const { client, server, cc } = establish(p);
    const port = cc.endpoints.localPort;
    client.shutdown('write');
    p.sim.runFor(50e6);
    server.close();
    p.sim.runFor(50e6);
    expect(cc.state).toBe('TIME-WAIT');
    // The server end is gone: keep its RST for our re-ACK off the wire (RFC 1337 hazard aside).
    p.link.impairments = { ...p.link.impairments, loss: 1 };
    expect(cc.stateHistory).toEqual(['CLOSED', 'SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT']);
    const sent = cc.counters.segmentsSent;
    injectTcp(p.b, {
      from: p.addrA,
      to: p.addrB,
      sport: 7000,
      dport: port,
      seq: cc.rcvNxt - 1,
      ack: cc.sndNxt,
      flags: F.FIN | F.ACK,
    });
    expect(cc.counters.segmentsSent).toBe(sent + 1);
    const again = p.b.tcpSocket();
    expect(errnoOf(() => again.bind({ address: p.addrB, port }))).toBe(Errno.EADDRINUSE);
    again.setOption('SO_REUSEADDR', true);
    again.bind({ address: p.addrB, port });
    p.sim.runFor(59e9);
    expect(cc.state).toBe('TIME-WAIT');
    p.sim.runFor(2e9);
    expect(cc.state).toBe('CLOSED');
  });

  it('delivers EOF after the data and HUP once both directions are closed', () => {
    const p = makePair(32);
    const { client, server } = establish(p);
    client.send(new TextEncoder().encode('last words'));
    client.shutdown('write');
    p.sim.runFor(100e6);
    expect(new TextDecoder().decode(readAll(server))).toBe('last words');
    expect(server.readiness() & PollEvents.RDHUP).toBeTruthy();
    expect(errnoOf(() => client.send(new Uint8Array(1)))).toBe(Errno.EPIPE);
    server.close();
    p.sim.runFor(100e6);
    expect(client.readiness() & PollEvents.HUP).toBeTruthy();
  });

  it('aborts with RST when closed with unread data (RFC 9293 §3.10.4)', () => {
    const p = makePair(33);
    const { client, server } = establish(p);
    client.send(new Uint8Array(100));
    p.sim.runFor(100e6);
    server.close();
    p.sim.runFor(100e6);
    expect(client.getOption('SO_ERROR')).toBe(Errno.ECONNRESET);
  });
});

describe('flow control and timers', () => {
  it('survives a zero window with persist probes, even when the window update is lost', () => {
    const p = makePair(40);
    const { client, server, cc } = establish(p, 7000, {}, 16384);
    const data = pattern(200_000, 40);
    let sent = 0;
    p.sim.runUntil(() => {
      while (sent < data.length && errnoOf(() => (sent += client.send(data.subarray(sent, sent + 8192)))) === 0);
      return cc.sndWnd === 0 && cc.sndUna === cc.sndMax;
    }, 10e9);
    p.sim.runFor(30e9); // receiver does not read: only probes flow
    expect(cc.counters.persistProbes).toBeGreaterThanOrEqual(3);
    expect(cc.state).toBe('ESTABLISHED');
    // The reader drains while the link drops everything, so the window update is lost.
    p.link.impairments = { ...p.link.impairments, loss: 1 };
    const got: Uint8Array[] = [readAll(server)];
    p.sim.runFor(10e6);
    p.link.impairments = { ...p.link.impairments, loss: 0 };
    p.sim.runUntil(() => {
      while (sent < data.length && errnoOf(() => (sent += client.send(data.subarray(sent, sent + 8192)))) === 0);
      const r = readAll(server);
      if (r.length) got.push(r);
      return got.reduce((a, c) => a + c.length, 0) === data.length;
    }, 600e9);
    const all = new Uint8Array(data.length);
    let o = 0;
    for (const c of got) {
      all.set(c, o);
      o += c.length;
    }
    expect(all).toEqual(data);
  });

  it('sends keepalive probes after the idle time and times out a dead peer', () => {
    const p = makePair(41);
    const { client, cc } = establish(p);
    client.setOption('TCP_KEEPIDLE', 10);
    client.setOption('TCP_KEEPINTVL', 2);
    client.setOption('TCP_KEEPCNT', 3);
    client.setOption('SO_KEEPALIVE', true);
    p.sim.runFor(25e9);
    expect(cc.counters.keepaliveProbes).toBe(2); // at 10 s and 20 s, both answered
    expect(cc.state).toBe('ESTABLISHED');
    p.link.impairments = { ...p.link.impairments, loss: 1 };
    p.sim.runFor(20e9);
    expect(cc.state).toBe('CLOSED');
    expect(client.getOption('SO_ERROR')).toBe(Errno.ETIMEDOUT);
  });

  it('delays a lone ACK by the delayed-ACK time and ACKs every second segment at once', () => {
    const p = makePair(42, { delayNs: 5e6 });
    const { client, sc } = establish(p);
    const acks: number[] = [];
    p.link.tap = (from, frame) => {
      const s = tcpOf(frame);
      if (from === p.link.a && s && s.payload.length === 0 && s.flags === F.ACK) acks.push(p.clock.monotonicNs());
    };
    const t0 = p.clock.monotonicNs();
    client.send(new Uint8Array(100));
    p.sim.runFor(200e6);
    expect(acks.length).toBe(1);
    expect(Math.round((acks[0]! - t0) / 1e6)).toBe(5 + 40);
    acks.length = 0;
    client.setOption('TCP_NODELAY', true);
    const t1 = p.clock.monotonicNs();
    client.send(new Uint8Array(sc.mss * 2));
    p.sim.runFor(200e6);
    expect(acks.length).toBe(1);
    expect(Math.round((acks[0]! - t1) / 1e6)).toBe(5);
  });

  it('coalesces small writes with Nagle and sends each at once with TCP_NODELAY', () => {
    const count = (noDelay: boolean) => {
      const p = makePair(43, { delayNs: 10e6 });
      const { client } = establish(p);
      client.setOption('TCP_NODELAY', noDelay);
      let segs = 0;
      p.link.tap = (from, frame) => {
        const s = tcpOf(frame);
        if (from === p.link.b && s && s.payload.length > 0) segs++;
      };
      for (let i = 0; i < 10; i++) client.send(new Uint8Array(10));
      p.sim.runFor(500e6);
      return segs;
    };
    expect(count(false)).toBe(2); // the first byte goes, the rest waits for its ACK
    expect(count(true)).toBe(10);
  });

  it('backs off the retransmission timer exponentially and reports ETIMEDOUT (RFC 6298 §5.5)', () => {
    const p = makePair(44);
    const { client, cc } = establish(p);
    p.link.impairments = { ...p.link.impairments, loss: 1 };
    const times: number[] = [];
    const output = p.b.output.bind(p.b);
    p.b.output = (conn, seg) => {
      if (seg.payload.length > 0) times.push(p.clock.monotonicNs());
      output(conn, seg);
    };
    client.send(new Uint8Array(100));
    p.sim.runUntil(() => cc.state === 'CLOSED', 3600e9);
    expect(client.getOption('SO_ERROR')).toBe(Errno.ETIMEDOUT);
    expect(times.length).toBe(16); // first transmission + 15 retransmissions
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    for (let i = 1; i < gaps.length; i++)
      expect(gaps[i]).toBeGreaterThanOrEqual(Math.min(gaps[i - 1]! * 2 - 1e6, 60e9 - 1e6));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(60e9);
  });

  it('recovers a single loss by fast retransmit without a timeout', () => {
    for (const sack of [true, false]) {
      const p = makePair(45, {}, { sack });
      const { client, server, cc } = establish(p);
      let n = 0;
      p.link.tap = undefined;
      const data = pattern(300_000, 45);
      let sent = 0;
      const got: Uint8Array[] = [];
      // Drop exactly the 40th data segment once.
      const link = p.link as unknown as { carry: (from: unknown, frame: Uint8Array) => void };
      const carry = link.carry.bind(p.link);
      link.carry = (from, frame) => {
        const s = tcpOf(frame);
        if (from === p.link.b && s && s.payload.length > 0 && ++n === 40) return;
        carry(from, frame);
      };
      p.sim.runUntil(() => {
        while (sent < data.length && errnoOf(() => (sent += client.send(data.subarray(sent, sent + 65536)))) === 0);
        const r = readAll(server);
        if (r.length) got.push(r);
        return got.reduce((a, c) => a + c.length, 0) === data.length;
      }, 60e9);
      expect(cc.counters.timeouts).toBe(0);
      expect(cc.counters.fastRetransmits).toBe(1);
    }
  });
});

describe('addresses and ports', () => {
  it('refuses a second bind to a port unless both sockets set SO_REUSEADDR, and never two listeners', () => {
    const p = makePair(50);
    const s1 = p.a.tcpSocket();
    s1.bind({ address: p.addrA, port: 6000 });
    const s2 = p.a.tcpSocket();
    expect(errnoOf(() => s2.bind({ address: p.addrA, port: 6000 }))).toBe(Errno.EADDRINUSE);
    const r1 = p.a.tcpSocket();
    const r2 = p.a.tcpSocket();
    r1.setOption('SO_REUSEADDR', true);
    r2.setOption('SO_REUSEADDR', true);
    r1.bind({ address: p.addrA, port: 6001 });
    r2.bind({ address: IpAddress.parse('0.0.0.0'), port: 6001 });
    r1.listen();
    expect(errnoOf(() => r2.listen())).toBe(Errno.EADDRINUSE);
    expect(errnoOf(() => p.a.tcpSocket().bind({ address: IpAddress.parse('10.9.9.9'), port: 1 }))).toBe(
      Errno.EADDRNOTAVAIL,
    );
  });

  it('talks over loopback inside one stack', () => {
    const p = makePair(51);
    const lo = IpAddress.parse('127.0.0.1');
    const l = p.a.tcpSocket();
    l.bind({ address: lo, port: 80 });
    l.listen();
    const c = p.a.tcpSocket();
    errnoOf(() => c.connect({ address: lo, port: 80 }));
    let s: TcpSocket | undefined;
    p.sim.runUntil(() => errnoOf(() => (s = l.accept())) === 0, 1e9);
    c.send(new TextEncoder().encode('ping'));
    p.sim.runFor(1e6);
    expect(new TextDecoder().decode(readAll(s!))).toBe('ping');
  });
});

describe('readiness and wait queues', () => {
  it('wakes a waiter on the socket WaitQueue when data arrives, and readiness then says IN', () => {
    const p = makePair(60);
    const { client, server } = establish(p);
    let woken = 0;
    server.waitQueue.add({ wake: () => woken++ });
    expect(server.readiness() & PollEvents.IN).toBe(0);
    expect(server.read(new Uint8Array(10))).toBe(-Errno.EAGAIN);
    client.write(Uint8Array.of(1, 2, 3));
    p.sim.runFor(50e6);
    expect(woken).toBe(1);
    expect(server.readiness() & PollEvents.IN).toBeTruthy();
    expect(server.read(new Uint8Array(10))).toBe(3);
  });

  it('wakes a connecting socket once connected, with OUT set', () => {
    const p = makePair(61);
    const l = p.a.tcpSocket();
    l.bind({ address: p.addrA, port: 80 });
    l.listen();
    const c = p.b.tcpSocket();
    errnoOf(() => c.connect({ address: p.addrA, port: 80 }));
    expect(c.readiness() & PollEvents.OUT).toBe(0);
    let woken = false;
    c.waitQueue.add({ wake: () => (woken = c.readiness() & PollEvents.OUT ? true : woken) });
    p.sim.runFor(50e6);
    expect(woken).toBe(true);
    expect(errnoOf(() => c.connect({ address: p.addrA, port: 80 }))).toBe(Errno.EISCONN);
  });
});

describe('spurious retransmission (RFC 3522 / RFC 4015)', () => {
  it('undoes the window reduction when reordering, not loss, triggered a fast retransmit', () => {
    const p = makePair(70, { delayNs: 2e6, bitsPerSecond: 100e6 });
    const { client, server, cc } = establish(p);
    let n = 0;
    const link = p.link as unknown as { carry: (from: unknown, frame: Uint8Array) => void };
    const carry = link.carry.bind(p.link);
    let cwndBefore = 0;
    link.carry = (from, frame) => {
      const s = tcpOf(frame);
      if (from === p.link.b && s && s.payload.length > 0 && ++n === 200) {
        cwndBefore = cc.congestionWindow;
        const saved = p.link.impairments;
        p.link.impairments = { ...saved, reorder: 1, reorderDelayNs: 4e6 };
        carry(from, frame);
        p.link.impairments = saved;
        return;
      }
      carry(from, frame);
    };
    const data = pattern(1_000_000, 70);
    let sent = 0;
    let got = 0;
    const buf = new Uint8Array(65536);
    p.sim.runUntil(() => {
      for (let k; sent < data.length && (k = client.write(data.subarray(sent))) > 0;) sent += k;
      for (let k; (k = server.read(buf)) > 0;) got += k;
      return got === data.length;
    }, 60e9);
    expect(cc.counters.fastRetransmits).toBe(1);
    expect(cc.counters.spuriousRetransmits).toBe(1);
    expect(cc.counters.timeouts).toBe(0);
    expect(cc.congestionWindow).toBeGreaterThanOrEqual(cwndBefore);
  });
});

describe('sequence number wrap-around', () => {
  it('moves 1 MB byte-exact when both ISNs sit just below 2^32', () => {
    const p = makePair(80, { loss: 0.02, reorder: 0.02, reorderDelayNs: 2e6 });
    for (const [stack, isn] of [
      [p.a, 0xfffff000],
      [p.b, 0xffffff00],
    ] as const) {
      (stack as unknown as { isnGen: { isn: () => number } }).isnGen.isn = () => isn;
    }
    const data = pattern(1 << 20, 80);
    const r = transfer(p, data, 5000, 600e9);
    expect(equalBytes(r.received, data)).toBe(true);
    expect(r.client.connection!.iss).toBe(0xffffff00);
    expect(r.client.connection!.sndUna).toBeLessThan(0x200000); // wrapped past zero
  });
});

describe('time', () => {
  it('arms timers from the clock at the time of a socket call, not the last poll', () => {
    const p = makePair(90);
    const { client, cc } = establish(p);
    p.sim.runFor(10e6);
    p.link.impairments = { ...p.link.impairments, loss: 1 };
    p.clock.advanceBy(10e9); // time passes with nobody polling
    const sendAt = p.clock.monotonicNs();
    const times: number[] = [];
    const output = p.b.output.bind(p.b);
    p.b.output = (conn, seg) => {
      if (seg.payload.length > 0) times.push(p.clock.monotonicNs());
      output(conn, seg);
    };
    client.write(new Uint8Array(100));
    p.sim.runUntil(() => times.length >= 2, 60e9);
    expect(times[0]).toBe(sendAt);
    expect(times[1]! - sendAt).toBeGreaterThanOrEqual(200e6); // a full RTO after the send
    expect(cc.counters.timeouts).toBe(1);
  });
});

describe('hostile segments', () => {
  it('drops a LAND SYN (source = destination = our address) as martian', () => {
    const p = makePair(95);
    const l = p.a.tcpSocket();
    l.bind({ address: p.addrA, port: 139 });
    l.listen();
    injectTcp(p.a, { from: p.addrA, to: p.addrA, sport: 139, dport: 139, seq: 1, flags: F.SYN });
    p.sim.runFor(1e9);
    expect(p.a.tcpConnections()).toEqual([]);
    expect(p.a.counters.martians).toBe(1);
  });

  it('answers a flood of out-of-window segments with at most two ACKs per second', () => {
    const p = makePair(96);
    const { sc } = establish(p);
    const before = sc.counters.segmentsSent;
    for (let i = 0; i < 1000; i++) {
      injectTcp(p.a, {
        from: p.addrB,
        to: p.addrA,
        sport: sc.endpoints.remotePort,
        dport: 7000,
        seq: sc.rcvNxt + 50_000_000 + i,
        ack: sc.sndNxt,
        flags: F.ACK,
        payload: Uint8Array.of(1),
      });
      p.clock.advanceBy(1e6);
    }
    expect(sc.counters.segmentsSent - before).toBeLessThanOrEqual(3);
    expect(sc.state).toBe('ESTABLISHED');
  });
});

describe('connect retry', () => {
  it('lets connect() start over after a refused attempt', () => {
    const p = makePair(97);
    const c = p.b.tcpSocket();
    expect(errnoOf(() => c.connect({ address: p.addrA, port: 8000 }))).toBe(Errno.EINPROGRESS);
    p.sim.runFor(100e6);
    expect(errnoOf(() => c.connect({ address: p.addrA, port: 8000 }))).toBe(Errno.ECONNREFUSED);
    const l = p.a.tcpSocket();
    l.bind({ address: p.addrA, port: 8000 });
    l.listen();
    expect(errnoOf(() => c.connect({ address: p.addrA, port: 8000 }))).toBe(Errno.EINPROGRESS);
    p.sim.runFor(100e6);
    expect(errnoOf(() => c.connect({ address: p.addrA, port: 8000 }))).toBe(Errno.EISCONN);
    expect(l.acceptQueue.length).toBe(1);
  });
});

describe('small windows (RFC 5827 Early Retransmit, RFC 3042 Limited Transmit)', () => {
  it('fast-retransmits a loss among three outstanding segments without waiting for the timer', () => {
    for (const sack of [true, false]) {
      const p = makePair(98, { delayNs: 5e6 }, { sack, noDelay: true });
      const { client, server, cc } = establish(p);
      let n = 0;
      const link = p.link as unknown as { carry: (from: unknown, frame: Uint8Array) => void };
      const carry = link.carry.bind(p.link);
      link.carry = (from, frame) => {
        const s = tcpOf(frame);
        if (from === p.link.b && s && s.payload.length > 0 && ++n === 1) return; // lose the first
        carry(from, frame);
      };
      const data = pattern(3 * cc.mss, 98);
      expect(client.write(data)).toBe(data.length);
      let got = 0;
      const buf = new Uint8Array(65536);
      p.sim.runUntil(() => {
        for (let k; (k = server.read(buf)) > 0;) got += k;
        return got === data.length;
      }, 10e9);
      expect(cc.counters.timeouts).toBe(0);
      expect(cc.counters.fastRetransmits).toBe(1);
      expect(p.clock.monotonicNs()).toBeLessThan(1e9); // well inside the first RTO
    }
  });
});

describe('peek and FIONREAD', () => {
  it('peeks without consuming and reports the bytes available', () => {
    const p = makePair(99);
    const { client, server } = establish(p);
    const buf = new Uint8Array(8);
    expect(server.peek(buf)).toBe(-Errno.EAGAIN);
    client.write(Uint8Array.of(1, 2, 3, 4, 5));
    p.sim.runFor(50e6);
    expect(server.available()).toBe(5);
    expect(server.peek(buf.subarray(0, 3))).toBe(3);
    expect([...buf.subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(server.read(buf)).toBe(5);
    expect([...buf.subarray(0, 5)]).toEqual([1, 2, 3, 4, 5]);
    client.shutdown('write');
    p.sim.runFor(50e6);
    expect(server.peek(buf)).toBe(0);
  });
});

describe('half-open connections', () => {
  it('drops a SYN-RECEIVED child after five SYN-ACK retransmissions, freeing the backlog', () => {
    const p = makePair(100);
    const l = p.a.tcpSocket();
    l.bind({ address: p.addrA, port: 7100 });
    l.listen(1);
    p.link.impairments = { ...p.link.impairments, loss: 1 }; // the SYN-ACKs go nowhere
    injectTcp(p.a, { from: p.addrB, to: p.addrA, sport: 41000, dport: 7100, seq: 10, flags: F.SYN });
    expect(l.synQueue.size).toBe(1);
    p.sim.runFor(30e9);
    expect(l.synQueue.size).toBe(1);
    p.sim.runFor(40e9); // 1+2+4+8+16 s of retransmissions, then 32 s before giving up
    expect(l.synQueue.size).toBe(0);
    expect(p.a.tcpConnections()).toEqual([]);
  });
});

describe('TIME-WAIT reopened by a new SYN (RFC 9293 §3.6.1, RFC 6191)', () => {
  it('lets a client reuse its port while the server holds TIME-WAIT: no RST, a fresh handshake', () => {
    // The server closes first (an HTTP/1.0-style server), so the TIME-WAIT is on its side; a
    // client that picks the same port again (passt forwarding a host connection, a busy
    // load generator) must get a SYN-ACK, not a RST that kills its new connection.
    const p = makePair(61);
    const { listener, client, server, cc, sc } = establish(p);
    const port = cc.endpoints.localPort;
    server.close();
    p.sim.runFor(50e6);
    client.close();
    p.sim.runFor(50e6);
    expect(sc.state).toBe('TIME-WAIT');
    const fromServer: wire.TcpSegment[] = [];
    p.link.tap = (from, frame) => {
      const t = tcpOf(frame);
      if (from === p.link.a && t) fromServer.push(t);
    };
    const again = p.b.tcpSocket();
    again.setOption('SO_REUSEADDR', true);
    again.bind({ address: p.addrB, port });
    p.sim.runFor(1e9); // a later ISN from the clock-driven generator (RFC 6528)
    expect(errnoOf(() => again.connect({ address: p.addrA, port: 7000 }))).toBe(Errno.EINPROGRESS);
    let accepted: TcpSocket | undefined;
    p.sim.runUntil(() => {
      if (!accepted) errnoOf(() => (accepted = listener.accept()));
      return accepted !== undefined && again.connection!.state === 'ESTABLISHED';
    }, 10e9);
    expect(again.connection!.state).toBe('ESTABLISHED');
    expect(again.connection!.stateHistory).toEqual(['CLOSED', 'SYN-SENT', 'ESTABLISHED']);
    expect(accepted).toBeDefined();
    // The server's first answer is the SYN-ACK; it sends no RST on the wire at all.
    expect(fromServer[0]!.flags & (F.SYN | F.ACK)).toBe(F.SYN | F.ACK);
    expect(fromServer.filter((t) => t.flags & F.RST)).toEqual([]);
  });
});

describe('SYN flood from addresses that never answer', () => {
  it('holds the listener for one SYN-ACK timeout, not the whole retransmission schedule', () => {
    const p = makePair(62);
    const l = p.a.tcpSocket();
    l.bind({ address: p.addrA, port: 7200 });
    l.listen(8);
    // 100 SYNs from an address nobody holds: their SYN-ACKs wait on ARP forever.
    const ghost = IpAddress.parse('10.0.0.99');
    for (let i = 0; i < 100; i++)
      injectTcp(p.a, { from: ghost, to: p.addrA, sport: 30000 + i, dport: 7200, seq: i * 7919, flags: F.SYN });
    expect(l.synQueue.size).toBe(8);
    expect(p.a.counters.tcpSynQueueEvictions).toBe(0); // young half-opens are not evicted
    const c = p.b.tcpSocket();
    const t0 = p.clock.monotonicNs();
    expect(errnoOf(() => c.connect({ address: p.addrA, port: 7200 }))).toBe(Errno.EINPROGRESS);
    // The client's SYN is dropped; its retransmission (1 s) finds the ghosts retransmitted too.
    p.sim.runUntil(() => c.connection!.state === 'ESTABLISHED', 5e9);
    expect(p.clock.monotonicNs() - t0).toBeLessThan(2e9);
    expect(p.a.counters.tcpSynQueueEvictions).toBeGreaterThanOrEqual(1);
    p.sim.runFor(100e6); // the client's ACK completes the server's side
    expect(l.accept().connection!.endpoints.remoteAddress.equals(p.addrB)).toBe(true);
  });
});

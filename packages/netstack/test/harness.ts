// Test harness: two stacks joined by a SimulatedLink on one VirtualClock.
import { KernelError, Errno } from '@osv-ts/kernel-api';
import { VirtualClock } from '@osv-ts/core-sched';
import {
  NetStack,
  IpAddress,
  SeededRandom,
  SimulatedLink,
  Simulation,
  PERFECT_LINK,
  type LinkImpairments,
  type TcpConfig,
  type TcpSocket,
} from '../src/index.js';

export interface Pair {
  clock: VirtualClock;
  rng: SeededRandom;
  link: SimulatedLink;
  a: NetStack;
  b: NetStack;
  sim: Simulation;
  addrA: IpAddress;
  addrB: IpAddress;
}

export function makePair(
  seed: number,
  impairments: Partial<LinkImpairments> = {},
  tcp: Partial<TcpConfig> = {},
  ipv6 = false,
  mtu = 1500,
  tcpSegmentation = false,
): Pair {
  const clock = new VirtualClock();
  const rng = new SeededRandom(seed);
  const link = new SimulatedLink(clock, rng, { ...PERFECT_LINK, ...impairments }, mtu, tcpSegmentation);
  const a = new NetStack({ clock, entropy: new SeededRandom(seed * 7 + 1), tcp });
  const b = new NetStack({ clock, entropy: new SeededRandom(seed * 7 + 2), tcp });
  const ia = a.addInterface(link.a, { name: 'eth0', ipv6 });
  const ib = b.addInterface(link.b, { name: 'eth0', ipv6 });
  const addrA = IpAddress.parse('10.0.0.1');
  const addrB = IpAddress.parse('10.0.0.2');
  a.addIpv4Address(ia, addrA, 24);
  b.addIpv4Address(ib, addrB, 24);
  return { clock, rng, link, a, b, sim: new Simulation(clock, [a, b], [link]), addrA, addrB };
}

/** Calls fn, returning the errno of a KernelError it throws (or 0). */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
    return 0;
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
}

export function pattern(size: number, seed: number): Uint8Array {
  const r = new SeededRandom(seed ^ 0x5eed);
  const out = new Uint8Array(size);
  r.fill(out);
  return out;
}

export interface TransferResult {
  received: Uint8Array;
  durationNs: number;
  server: TcpSocket;
  client: TcpSocket;
}

/** Connects b → a:port, sends `data` from b, reads it at a until EOF; both close. */
export function transfer(p: Pair, data: Uint8Array, port = 5000, maxTimeNs = 3600e9): TransferResult {
  const listener = p.a.tcpSocket();
  listener.bind({ address: p.addrA, port });
  listener.listen(4);
  const client = p.b.tcpSocket();
  if (errnoOf(() => client.connect({ address: p.addrA, port })) !== Errno.EINPROGRESS)
    throw new Error('connect did not report EINPROGRESS');
  let server: TcpSocket | undefined;
  const received = new Uint8Array(data.length);
  let got = 0;
  let sent = 0;
  let eof = false;
  let clientClosed = false;
  const buf = new Uint8Array(65536);
  const start = p.clock.monotonicNs();
  p.sim.runUntil(() => {
    if (!server && errnoOf(() => (server = listener.accept())) !== 0) server = undefined;
    const c = client.connection!;
    if (c.error) throw new KernelError(c.error, 'client connection failed');
    if (c.established && sent < data.length) {
      for (;;) {
        const n = client.write(data.subarray(sent, Math.min(data.length, sent + 65536)));
        if (n === -Errno.EAGAIN) break;
        if (n < 0) throw new KernelError(-n, 'send');
        sent += n;
        if (sent >= data.length) break;
      }
    }
    if (sent >= data.length && !clientClosed && c.established) {
      client.shutdown('write');
      clientClosed = true;
    }
    if (server && !eof) {
      for (;;) {
        const n = server.read(buf);
        if (n === -Errno.EAGAIN) break;
        if (n < 0) throw new KernelError(-n, 'recv');
        if (n === 0) {
          eof = true;
          break;
        }
        if (got + n > received.length) throw new Error('received more than was sent');
        received.set(buf.subarray(0, n), got);
        got += n;
      }
    }
    return eof;
  }, maxTimeNs);
  return { received: received.subarray(0, got), durationNs: p.clock.monotonicNs() - start, server: server!, client };
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

import { type NetStack as Stack } from '../src/index.js';
import * as wire from '../src/wire/index.js';

export interface CraftedSegment {
  from: IpAddress;
  to: IpAddress;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  payload?: Uint8Array;
  options?: wire.TcpOptions;
}

/** Builds an Ethernet+IPv4+TCP frame addressed to `stack`'s first non-loopback interface and hands it to the stack directly. */
export function injectTcp(stack: Stack, s: CraftedSegment): void {
  const iface = stack.interfaces.find((i) => !i.loopback)!;
  const seg: wire.TcpSegment = {
    sourcePort: s.sport,
    destinationPort: s.dport,
    seq: s.seq >>> 0,
    ack: (s.ack ?? 0) >>> 0,
    flags: s.flags,
    window: s.window ?? 65535,
    urgent: 0,
    options: s.options ?? {},
    payload: s.payload ?? new Uint8Array(0),
  };
  const l4 = wire.TCP_HEADER_BYTES + wire.tcpOptionsLength(seg.options) + seg.payload.length;
  const frame = new Uint8Array(14 + 20 + l4);
  wire.emitEthernetHeader(frame, iface.mac, Uint8Array.of(2, 0, 0, 0, 0, 0x99), wire.EtherType.IPv4);
  wire.emitIpv4Header(frame, 14, { source: s.from.v4, destination: s.to.v4, protocol: 6, payloadLength: l4 });
  wire.emitTcp(frame, 34, seg, wire.pseudoSumV4(s.from.v4, s.to.v4, 6, l4));
  stack.receiveFrame(iface, frame);
}

/** Parses TCP segments out of captured Ethernet frames (IPv4 only). */
export function tcpOf(frame: Uint8Array): wire.TcpSegment | undefined {
  try {
    const eth = wire.parseEthernet(frame);
    if (eth.etherType !== wire.EtherType.IPv4) return undefined;
    const ip = wire.parseIpv4(eth.payload);
    if (ip.protocol !== 6) return undefined;
    return wire.parseTcp(ip.payload, undefined);
  } catch {
    return undefined;
  }
}

/// <reference types="node" />
// Benchmarks: (1) 100 MB across a simulated faulty link for a few seeds; (2) bulk TCP
// throughput between two in-process stacks vs Node's own net module over Linux loopback,
// printed as a ratio. Run with `npm run bench` in this package.
import net from 'node:net';
import { VirtualClock } from '@osv-ts/core-sched';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import {
  IpAddress,
  NetStack,
  PERFECT_LINK,
  SeededRandom,
  SimulatedLink,
  Simulation,
  type LinkImpairments,
  type TcpSocket,
} from '../src/index.js';

const MB = 1 << 20;

function again(e: unknown): boolean {
  return e instanceof KernelError && e.errno === Errno.EAGAIN;
}

function runTransfer(
  seed: number,
  bytes: number,
  imp: Partial<LinkImpairments>,
): { wallMs: number; virtualMs: number; ok: boolean; frames: number } {
  const clock = new VirtualClock();
  const link = new SimulatedLink(clock, new SeededRandom(seed), { ...PERFECT_LINK, ...imp });
  const tcp = { sendBufferBytes: 1 << 20, receiveBufferBytes: 1 << 20 };
  const a = new NetStack({ clock, entropy: new SeededRandom(seed + 1), tcp });
  const b = new NetStack({ clock, entropy: new SeededRandom(seed + 2), tcp });
  a.addIpv4Address(a.addInterface(link.a, { ipv6: false }), IpAddress.parse('10.0.0.1'), 24);
  b.addIpv4Address(b.addInterface(link.b, { ipv6: false }), IpAddress.parse('10.0.0.2'), 24);
  const sim = new Simulation(clock, [a, b], [link]);
  const l = a.tcpSocket();
  l.bind({ address: IpAddress.parse('10.0.0.1'), port: 9 });
  l.listen();
  const c = b.tcpSocket();
  try {
    c.connect({ address: IpAddress.parse('10.0.0.1'), port: 9 });
  } catch (e) {
    if (!(e instanceof KernelError) || e.errno !== Errno.EINPROGRESS) throw e;
  }
  const chunk = new Uint8Array(256 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + seed) & 0xff;
  const buf = new Uint8Array(256 * 1024);
  let s: TcpSocket | undefined;
  let sent = 0;
  let got = 0;
  let ok = true;
  let shut = false;
  const t0 = performance.now();
  sim.runUntil(() => {
    if (!s) {
      try {
        s = l.accept();
      } catch (e) {
        if (!again(e)) throw e;
      }
    }
    if (c.connection!.established) {
      while (sent < bytes) {
        const off = sent % chunk.length;
        const n = c.write(chunk.subarray(off, Math.min(chunk.length, off + bytes - sent)));
        if (n === -Errno.EAGAIN) break;
        if (n < 0) throw new KernelError(-n, 'send');
        sent += n;
      }
      if (sent >= bytes && !shut) {
        c.shutdown('write');
        shut = true;
      }
    }
    if (s) {
      for (;;) {
        const n = s.read(buf);
        if (n === -Errno.EAGAIN) break;
        if (n < 0) throw new KernelError(-n, 'recv');
        if (n === 0) return true;
        for (let i = 0; i < n; i += 4093) if (buf[i] !== chunk[(got + i) % chunk.length]) ok = false;
        got += n;
      }
    }
    return false;
  }, 36000e9);
  return {
    wallMs: performance.now() - t0,
    virtualMs: (clock.monotonicNs() - 0) / 1e6,
    ok: ok && got === bytes,
    frames: link.counters.sent,
  };
}

async function nodeLoopback(bytes: number): Promise<number> {
  const chunk = Buffer.alloc(256 * 1024, 7);
  return new Promise((resolve, reject) => {
    const server = net.createServer((sock) => {
      let got = 0;
      const t0 = performance.now();
      sock.on('data', (d) => (got += d.length));
      sock.on('end', () => {
        const ms = performance.now() - t0;
        server.close();
        if (got !== bytes) reject(new Error(`node loopback got ${got}`));
        else resolve(ms);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const c = net.connect(port, '127.0.0.1', () => {
        let sent = 0;
        const pump = () => {
          while (sent < bytes) {
            const n = Math.min(chunk.length, bytes - sent);
            sent += n;
            if (!c.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
              c.once('drain', pump);
              return;
            }
          }
          c.end();
        };
        pump();
      });
    });
  });
}

function fmt(n: number, d = 1): string {
  return n.toFixed(d);
}

async function main(): Promise<void> {
  const size = Number(process.env.BENCH_MB ?? 100) * MB;
  console.log(`# netstack benchmarks (${size / MB} MB per transfer)\n`);
  console.log('## 1. simulated faulty link (loss 1%, dup 0.5%, reorder 1%, corrupt 0.2%, 2 ms ±1 ms, 1 Gbit/s)\n');
  console.log('| seed | byte-exact | wall s | wall MB/s | virtual s | frames |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const seed of [1, 2, 3]) {
    const r = runTransfer(seed, size, {
      loss: 0.01,
      duplicate: 0.005,
      reorder: 0.01,
      reorderDelayNs: 3e6,
      corrupt: 0.002,
      delayNs: 2e6,
      jitterNs: 1e6,
      bitsPerSecond: 1e9,
    });
    console.log(
      `| ${seed} | ${r.ok} | ${fmt(r.wallMs / 1000, 2)} | ${fmt(size / MB / (r.wallMs / 1000))} | ${fmt(r.virtualMs / 1000, 2)} | ${r.frames} |`,
    );
  }
  console.log('\n## 2. bulk TCP throughput, in-process stacks vs Node net over Linux loopback\n');
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < 3; i++) {
    ours.push(runTransfer(10 + i, size, { delayNs: 50_000 }).wallMs);
    theirs.push(await nodeLoopback(size));
  }
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
  const o = size / MB / (med(ours) / 1000);
  const t = size / MB / (med(theirs) / 1000);
  console.log('| peer | MB/s (median of 3) |');
  console.log('| --- | --- |');
  console.log(`| osv-ts netstack, two stacks in one thread | ${fmt(o)} |`);
  console.log(`| Node net, Linux TCP over loopback | ${fmt(t)} |`);
  console.log(`\nratio netstack / Linux loopback: ${fmt(o / t, 3)}`);
}

void main();

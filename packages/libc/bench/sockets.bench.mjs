// The BSD socket API of libc's Posix (the JS apps' path: Posix → PosixSockets → netstack TCP
// over the loopback interface) against Linux TCP over loopback through Node's `net`, in the
// same run: bulk throughput (32 MiB, 64 KiB writes) and request/response latency (1-byte
// ping-pong). Prints both and the ratio osv-ts time / Linux time (lower is better).
// Run: npm run bench (builds dist first).
import net from 'node:net';
import { HostClock, HostCpu, Scheduler } from '@osv-ts/core-sched';
import { NetStack } from '@osv-ts/netstack';
import { RamFs, Vfs } from '@osv-ts/vfs';
import { Posix, PosixSockets, Process } from '../dist/index.js';

const BULK = 32 * 1024 * 1024;
const CHUNK = 64 * 1024;
const PINGS = 5000;
const ROUNDS = 5;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function osvLibc() {
  const clock = new HostClock();
  const sched = new Scheduler(clock, new HostCpu(clock));
  const vfs = new Vfs({ clock, blocker: sched });
  vfs.mountRoot(new RamFs());
  const stack = new NetStack({ clock, entropy: { fill: (b) => crypto.getRandomValues(b) } });
  const process = new Process({ args: [], env: [], clock, entropy: { fill: (b) => crypto.getRandomValues(b) }, sched });
  return new Posix(process, vfs, new PosixSockets(process, stack));
}

/** A connected pair on 127.0.0.1, both non-blocking: one thread plays both ends, as a JS app could. */
function osvPair(libc) {
  const c = libc.constants;
  const l = libc.socket(c.AF_INET, c.SOCK_STREAM);
  libc.bind(l, { family: c.AF_INET, address: '127.0.0.1', port: 0 });
  libc.listen(l, 1);
  const a = libc.socket(c.AF_INET, c.SOCK_STREAM);
  libc.connect(a, libc.getsockname(l));
  const b = libc.accept4(l, c.SOCK_NONBLOCK);
  libc.fcntl(a, c.F_SETFL, c.O_NONBLOCK);
  libc.setsockopt(a, c.IPPROTO_TCP, c.TCP_NODELAY, 1);
  libc.setsockopt(b, c.IPPROTO_TCP, c.TCP_NODELAY, 1);
  libc.close(l);
  return { a, b };
}

function osvBulk(libc) {
  const c = libc.constants;
  const { a, b } = osvPair(libc);
  const out = new Uint8Array(CHUNK).fill(7);
  const into = new Uint8Array(CHUNK);
  const fds = [
    { fd: a, events: c.POLLOUT },
    { fd: b, events: c.POLLIN },
  ];
  let sent = 0;
  let got = 0;
  const t0 = performance.now();
  while (got < BULK) {
    let progress = false;
    if (sent < BULK) {
      try {
        sent += libc.send(a, sent + CHUNK <= BULK ? out : out.subarray(0, BULK - sent));
        progress = true;
      } catch (e) {
        if (e.errno !== c.EAGAIN) throw e;
      }
    }
    for (;;) {
      try {
        const n = libc.recv(b, into);
        got += n;
        progress = true;
      } catch (e) {
        if (e.errno !== c.EAGAIN) throw e;
        break;
      }
    }
    if (!progress) libc.poll(fds, 1000);
  }
  const ms = performance.now() - t0;
  libc.close(a);
  libc.close(b);
  return ms;
}

function osvPingPong(libc) {
  const c = libc.constants;
  const { a, b } = osvPair(libc);
  libc.fcntl(a, c.F_SETFL, 0);
  libc.fcntl(b, c.F_SETFL, 0);
  const one = new Uint8Array(1);
  const t0 = performance.now();
  for (let i = 0; i < PINGS; i++) {
    libc.send(a, one);
    libc.recv(b, one);
    libc.send(b, one);
    libc.recv(a, one);
  }
  const ms = performance.now() - t0;
  libc.close(a);
  libc.close(b);
  return ms;
}

function linuxPair() {
  return new Promise((resolve) => {
    const server = net.createServer({ noDelay: true }, (b) => {
      server.close();
      resolve({ a: client, b });
    });
    let client;
    server.listen(0, '127.0.0.1', () => {
      client = net.connect({ port: server.address().port, host: '127.0.0.1', noDelay: true });
    });
  });
}

async function linuxBulk() {
  const { a, b } = await linuxPair();
  const out = Buffer.alloc(CHUNK, 7);
  const t0 = performance.now();
  const done = new Promise((resolve) => {
    let got = 0;
    b.on('data', (d) => {
      got += d.length;
      if (got >= BULK) resolve(performance.now() - t0);
    });
  });
  let sent = 0;
  const pump = () => {
    while (sent < BULK) {
      sent += CHUNK;
      if (!a.write(out)) return void a.once('drain', pump);
    }
  };
  pump();
  const ms = await done;
  a.destroy();
  b.destroy();
  return ms;
}

async function linuxPingPong() {
  const { a, b } = await linuxPair();
  b.on('data', (d) => b.write(d));
  const t0 = performance.now();
  await new Promise((resolve) => {
    let left = PINGS;
    a.on('data', () => (--left === 0 ? resolve() : a.write('x')));
    a.write('x');
  });
  const ms = performance.now() - t0;
  a.destroy();
  b.destroy();
  return ms;
}

const libc = osvLibc();
const rows = [];
const bulkOsv = [];
const bulkLinux = [];
const pingOsv = [];
const pingLinux = [];
for (let r = 0; r < ROUNDS; r++) {
  bulkOsv.push(osvBulk(libc));
  bulkLinux.push(await linuxBulk());
  pingOsv.push(osvPingPong(libc));
  pingLinux.push(await linuxPingPong());
}
const mibs = (ms) => (BULK / 1048576 / (ms / 1000)).toFixed(0);
const us = (ms) => ((ms * 1000) / PINGS).toFixed(1);
rows.push([
  'bulk 32 MiB over 127.0.0.1',
  `${mibs(median(bulkOsv))} MiB/s`,
  `${mibs(median(bulkLinux))} MiB/s`,
  (median(bulkOsv) / median(bulkLinux)).toFixed(2),
]);
rows.push([
  '1-byte round trip',
  `${us(median(pingOsv))} µs`,
  `${us(median(pingLinux))} µs`,
  (median(pingOsv) / median(pingLinux)).toFixed(2),
]);
console.log('| libc sockets (median of %d) | osv-ts Posix | Linux TCP via node:net | ratio (time) |', ROUNDS);
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

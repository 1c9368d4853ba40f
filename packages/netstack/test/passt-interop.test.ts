/// <reference types="node" />
// Interop with passt (user-mode networking, the qemu socket protocol: a 4-byte big-endian
// length before each Ethernet frame on a Unix socket) and, through it, with the Linux kernel's
// TCP stack on the host's loopback: DHCP lease from passt, a guest → host connection to the
// gateway address (which passt maps to the host), and a host → guest connection through a
// forwarded port. Test-side glue only: the real back-end belongs to @osv-ts/vmm.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostClock } from '@osv-ts/core-sched';
import { Errno, type Entropy, type NetDevice, type NetOffloads } from '@osv-ts/kernel-api';
import { DhcpClient, IpAddress, NetStack, type TcpSocket } from '../src/index.js';

class PasstDevice implements NetDevice {
  readonly name = 'passt';
  readonly mac = Uint8Array.of(0x02, 0x00, 0x00, 0x0a, 0x0b, 0x0c);
  readonly mtu = 1500;
  readonly offloads: NetOffloads = { txChecksum: false, rxChecksumVerified: false };
  readonly linkUp = true;
  private receiver: ((f: Uint8Array) => void) | undefined;
  private pending = Buffer.alloc(0);

  constructor(private readonly sock: net.Socket) {
    sock.on('data', (d) => {
      this.pending = Buffer.concat([this.pending, d]);
      while (this.pending.length >= 4) {
        const len = this.pending.readUInt32BE(0);
        if (this.pending.length < 4 + len) break;
        const frame = new Uint8Array(this.pending.subarray(4, 4 + len));
        this.pending = this.pending.subarray(4 + len);
        this.receiver?.(frame);
      }
    });
  }

  transmit(frame: Uint8Array): boolean {
    const hdr = Buffer.alloc(4);
    hdr.writeUInt32BE(frame.length, 0);
    this.sock.write(Buffer.concat([hdr, frame]));
    return true;
  }

  setReceiver(onFrame: (frame: Uint8Array) => void): void {
    this.receiver = onFrame;
  }
}

const cryptoEntropy: Entropy = { fill: (b) => void globalThis.crypto.getRandomValues(b) };

let passt: ChildProcess | undefined;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  passt?.kill('SIGTERM');
  passt = undefined;
});

async function drive(stack: NetStack, done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    stack.poll();
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('interop with passt and the host Linux stack', () => {
  it('gets a DHCP lease, connects out to the host, and accepts a forwarded connection', async () => {
    if (!existsSync('/usr/bin/passt')) throw new Error('passt missing: run scripts/setup-system.sh');
    const dir = mkdtempSync(join(tmpdir(), 'netstack-passt-'));
    chmodSync(dir, 0o777); // passt drops root privileges to nobody before creating its socket
    const sockPath = join(dir, 'passt.sock');
    const fwdPort = await freePort();
    passt = spawn('/usr/bin/passt', ['-f', '-q', '-1', '-4', '-s', sockPath, '-t', `${fwdPort}:80`], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 200 && !existsSync(sockPath); i++) await new Promise((r) => setTimeout(r, 10));
    const sock = net.connect(sockPath);
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    cleanups.push(() => sock.destroy());

    const stack = new NetStack({ clock: new HostClock(), entropy: cryptoEntropy });
    const iface = stack.addInterface(new PasstDevice(sock), { name: 'eth0', ipv6: false });
    const dhcp = new DhcpClient(stack, iface, 'osv-ts');
    dhcp.start();
    await drive(stack, () => dhcp.state === 'BOUND', 10_000, 'a DHCP lease from passt');
    const lease = dhcp.lease!;
    expect(lease.address.version).toBe(4);
    expect(lease.routers.length).toBe(1);
    const gateway = lease.routers[0]!;

    // Guest → host: passt maps the gateway address to the host, where Linux's TCP answers.
    const received: Buffer[] = [];
    const server = net.createServer((c) => {
      c.on('data', (d) => {
        received.push(d);
        c.end(d.toString().toUpperCase());
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const out = stack.tcpSocket();
    try {
      out.connect({ address: gateway, port });
    } catch (e) {
      expect((e as { errno: number }).errno).toBe(Errno.EINPROGRESS);
    }
    await drive(
      stack,
      () => out.connection!.established || out.connection!.state === 'CLOSED',
      10_000,
      'connect to the host',
    );
    expect(out.connection!.state).toBe('ESTABLISHED');
    out.write(new TextEncoder().encode('hello from the guest'));
    let reply = '';
    const buf = new Uint8Array(4096);
    await drive(
      stack,
      () => {
        for (let n; (n = out.read(buf)) > 0;) reply += new TextDecoder().decode(buf.subarray(0, n));
        return out.read(buf) === 0;
      },
      10_000,
      'the host reply',
    );
    expect(Buffer.concat(received).toString()).toBe('hello from the guest');
    expect(reply).toBe('HELLO FROM THE GUEST');
    out.close();

    // Host → guest through passt's port forward.
    const listener = stack.tcpSocket();
    listener.bind({ address: IpAddress.parse('0.0.0.0'), port: 80 });
    listener.listen();
    const data = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const host = net.connect(fwdPort, '127.0.0.1');
    cleanups.push(() => host.destroy());
    host.on('connect', () => host.end(Buffer.from(data)));
    let accepted: TcpSocket | undefined;
    const got: number[] = [];
    let eof = false;
    await drive(
      stack,
      () => {
        if (!accepted && listener.acceptQueue.length) accepted = listener.accept();
        if (accepted) {
          for (let n; (n = accepted.read(buf)) > 0;) got.push(...buf.subarray(0, n));
          if (accepted.read(buf) === 0) eof = true;
        }
        return eof;
      },
      20_000,
      'the forwarded upload',
    );
    expect(got.length).toBe(data.length);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);

    // Guest downloads 2 MB that Linux's TCP sends as fast as it can.
    const blob = Buffer.alloc(2 << 20);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 13 + 5) & 0xff;
    const source = net.createServer((c) => c.end(blob));
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
    cleanups.push(() => source.close());
    const dl = stack.tcpSocket();
    try {
      dl.connect({ address: gateway, port: (source.address() as net.AddressInfo).port });
    } catch (e) {
      expect((e as { errno: number }).errno).toBe(Errno.EINPROGRESS);
    }
    const parts: Buffer[] = [];
    let done = false;
    const big = new Uint8Array(65536);
    await drive(
      stack,
      () => {
        for (let n; (n = dl.read(big)) > 0;) parts.push(Buffer.from(big.subarray(0, n)));
        if (dl.connection?.established || dl.connection?.eof) done = dl.read(big) === 0;
        return done;
      },
      30_000,
      'the 2 MB download',
    );
    expect(Buffer.concat(parts).equals(blob)).toBe(true);
  }, 60_000);
});

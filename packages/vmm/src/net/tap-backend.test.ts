// TapBackend against the Linux kernel: a TAP device in a network namespace this test creates
// (and deletes), with Linux on the other side answering ARP and sending its own frames.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { TapBackend } from './tap-backend.js';
import { ensureTapRelay } from './tap-relay-binary.js';

const MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const sh = (...args: string[]): string =>
  execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, ...args: string[]): string => sh('ip', 'netns', 'exec', ns, ...args);

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.reverse()) {
    try {
      f();
    } catch {
      // already gone
    }
  }
  cleanup = [];
});

function netns(): string {
  const ns = `osvt-${randomBytes(4).toString('hex')}`;
  sh('ip', 'netns', 'add', ns);
  cleanup.push(() => sh('ip', 'netns', 'del', ns));
  return ns;
}

/** An ARP request from 10.9.0.2 (MAC) for `target`. */
function arpRequest(target: number[]): Uint8Array {
  const f = new Uint8Array(42);
  f.fill(0xff, 0, 6);
  f.set(MAC, 6);
  f.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1], 12);
  f.set(MAC, 22);
  f.set([10, 9, 0, 2], 28);
  f.set(target, 38);
  return f;
}

/** One's-complement sum of 16-bit words (RFC 1071). */
function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An ICMP echo request from `src` (MAC) to `dst` with its ICMP checksum left at zero. */
function icmpEchoRequest(dstMac: number[], src: number[], dst: number[], id: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 16);
  f.set(dstMac, 0);
  f.set(MAC, 6);
  f.set([0x08, 0x00], 12);
  f.set([0x45, 0, 0, 36, 0, 1, 0x40, 0, 64, 1, 0, 0, ...src, ...dst], 14);
  const ipSum = checksum(f.subarray(14, 34));
  f[24] = ipSum >>> 8;
  f[25] = ipSum & 0xff;
  f.set([8, 0, 0, 0, id >>> 8, id & 0xff, 0, 1], 34);
  f.set([1, 2, 3, 4, 5, 6, 7, 8], 42);
  return f;
}

async function waitFor<T>(what: string, get: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('TapBackend (Linux TAP through osv-tap-relay)', () => {
  it('creates a missing TAP device, exchanges ARP with Linux over it, and the device goes away at close', async () => {
    ensureTapRelay();
    const ns = netns();
    const tap = await TapBackend.start({ ifname: 'osvt%d', netns: ns, vnetHeader: false });
    cleanup.push(() => tap.close());
    expect(tap.created).toBe(true);
    expect(tap.ifname).toBe('osvt0'); // the kernel filled in the pattern
    expect(inNs(ns, 'ip', '-o', 'link', 'show', 'osvt0')).toMatch(/UP/);
    inNs(ns, 'ip', 'addr', 'add', '10.9.0.1/24', 'dev', 'osvt0');
    const frames: Uint8Array[] = [];
    tap.connect((f) => frames.push(f));
    tap.send(arpRequest([10, 9, 0, 1]));
    // Linux answers with an ARP reply to our MAC, from 10.9.0.1.
    const reply = await waitFor('the ARP reply', () =>
      frames.find(
        (f) =>
          f.length >= 42 &&
          f[12] === 0x08 &&
          f[13] === 0x06 &&
          f[21] === 2 &&
          f.subarray(28, 32).join('.') === '10.9.0.1',
      ),
    );
    expect([...reply.subarray(0, 6)]).toEqual([...MAC]);
    expect([...reply.subarray(32, 38)]).toEqual([...MAC]);
    tap.close();
    await waitFor('the TAP device to disappear', () => {
      try {
        inNs(ns, 'ip', 'link', 'show', 'osvt0');
        return undefined;
      } catch {
        return true;
      }
    });
  }, 60_000);

  it('attaches to an existing TAP device and delivers what Linux sends on it, frame by frame', async () => {
    const ns = netns();
    inNs(ns, 'ip', 'tuntap', 'add', 'dev', 'osvt1', 'mode', 'tap');
    inNs(ns, 'ip', 'addr', 'add', '10.9.1.1/24', 'dev', 'osvt1');
    const tap = await TapBackend.start({ ifname: 'osvt1', netns: ns, vnetHeader: false });
    cleanup.push(() => tap.close());
    expect(tap.created).toBe(false);
    const frames: Uint8Array[] = [];
    tap.connect((f) => frames.push(f));
    // Linux resolves 10.9.1.77 before pinging it: broadcast ARP requests, one per frame.
    try {
      inNs(ns, 'ping', '-c', '2', '-W', '1', '-i', '0.3', '10.9.1.77');
    } catch {
      // nobody answers; the ARP requests are what we look at
    }
    const isRequest = (f: Uint8Array): boolean =>
      f[12] === 0x08 && f[13] === 0x06 && f.subarray(38, 42).join('.') === '10.9.1.77';
    await waitFor('ARP requests from Linux', () => (frames.some(isRequest) ? true : undefined));
    const requests = frames.filter(isRequest);
    for (const r of requests) expect(r.length).toBe(42); // one frame per read, no padding, no merging
    tap.close();
    // A persistent device stays after the relay goes.
    await new Promise((r) => setTimeout(r, 100));
    expect(inNs(ns, 'ip', '-o', 'link', 'show', 'osvt1')).toMatch(/osvt1/);
  }, 60_000);

  it('passes virtio_net_hdr both ways: Linux completes a checksum the guest left to it (NEEDS_CSUM) and answers', async () => {
    const ns = netns();
    const tap = await TapBackend.start({ ifname: 'osvt6', netns: ns });
    cleanup.push(() => tap.close());
    expect(tap.vnetHeader).toBe(true);
    inNs(ns, 'ip', 'addr', 'add', '10.9.6.1/24', 'dev', 'osvt6');
    inNs(ns, 'ip', 'neigh', 'replace', '10.9.6.2', 'lladdr', '52:54:00:12:34:56', 'dev', 'osvt6');
    tap.setGuestOffloads({ checksum: true, tso4: true, tso6: true }); // TUNSETOFFLOAD must be accepted
    const frames: Uint8Array[] = [];
    tap.connect((f) => frames.push(f));
    const tapMac = inNs(ns, 'cat', '/sys/class/net/osvt6/address')
      .trim()
      .split(':')
      .map((h) => parseInt(h, 16));
    const echo = icmpEchoRequest(tapMac, [10, 9, 6, 2], [10, 9, 6, 1], 0x4242);
    const header = new Uint8Array(12);
    header[0] = 1; // VIRTIO_NET_HDR_F_NEEDS_CSUM: the ICMP checksum field is left for the host
    new DataView(header.buffer).setUint16(6, 14 + 20, true); // csum_start: the ICMP header
    new DataView(header.buffer).setUint16(8, 2, true); // csum_offset: its checksum field
    const withHeader = new Uint8Array(12 + echo.length);
    withHeader.set(header);
    withHeader.set(echo, 12);
    tap.send(withHeader);
    const isReply = (f: Uint8Array): boolean =>
      f.length >= 12 + 42 && f[12 + 12] === 0x08 && f[12 + 13] === 0 && f[12 + 23] === 1 && f[12 + 34] === 0;
    const reply = await waitFor('the echo reply', () => frames.find(isReply));
    expect((reply[12 + 38]! << 8) | reply[12 + 39]!).toBe(0x4242); // the identifier came back
    expect(await Promise.race([tap.exited, new Promise((r) => setTimeout(() => r('running'), 200))])).toBe('running');
  }, 60_000);

  it('tells an unprivileged user what it lacks (CAP_NET_ADMIN) instead of failing silently', () => {
    const ns = netns();
    const dir = mkdtempSync(join(tmpdir(), 'osv-relay-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o755);
    const relay = join(dir, 'osv-tap-relay');
    copyFileSync(ensureTapRelay(), relay);
    chmodSync(relay, 0o755);
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'setpriv',
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--inh-caps=-all',
        relay,
        'osvt3',
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    expect(r.status).toBe(1);
    // Depending on /dev/net/tun's mode, the open or the TUNSETIFF is what is refused.
    expect(r.stderr).toMatch(
      /osv-tap-relay: (cannot open \/dev\/net\/tun: Permission denied \(needs root or CAP_NET_ADMIN\)|TUNSETIFF osvt3: Operation not permitted \(needs CAP_NET_ADMIN)/,
    );
  });

  it('ends the relay with a message when the device is deleted under it, instead of spinning', async () => {
    const ns = netns();
    const tap = await TapBackend.start({ ifname: 'osvt5', netns: ns });
    cleanup.push(() => tap.close());
    inNs(ns, 'ip', 'link', 'del', 'osvt5');
    const code = await Promise.race([tap.exited, new Promise((r) => setTimeout(() => r('still running'), 5000))]);
    expect(code).toBe(1);
  }, 60_000);

  it('refuses a TAP device another VMM already holds', async () => {
    const ns = netns();
    const first = await TapBackend.start({ ifname: 'osvt4', netns: ns });
    cleanup.push(() => first.close());
    await expect(TapBackend.start({ ifname: 'osvt4', netns: ns })).rejects.toThrow(
      /TUNSETIFF osvt4: Device or resource busy \(another process is attached to it\)/,
    );
  }, 60_000);

  it('refuses a device that is not a TAP with a message that says so', async () => {
    const ns = netns();
    inNs(ns, 'ip', 'link', 'add', 'osvt2', 'type', 'veth', 'peer', 'name', 'osvt2p');
    await expect(TapBackend.start({ ifname: 'osvt2', netns: ns })).rejects.toThrow(/osvt2.*not a TAP device/);
    await expect(TapBackend.start({ ifname: 'bad name!', netns: ns })).rejects.toThrow(/bad TAP device name/);
  }, 60_000);
});

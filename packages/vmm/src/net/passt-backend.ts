// User-mode networking through passt (OSv's SLIRP default, done the modern way): passt runs as
// a child process with a Unix socket speaking QEMU's stream protocol — each Ethernet frame
// preceded by its length as a 4-byte big-endian integer — gives the guest an address by DHCP,
// NATs its connections to the host's stack, and forwards host ports to the guest (`-t`, `-u`).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetBackend } from '@osv-ts/drivers-virtio';
import { FrameStreamDecoder, encodeStreamFrame } from './frame-stream.js';

export interface PortForward {
  readonly protocol: 'tcp' | 'udp';
  readonly hostPort: number;
  readonly guestPort: number;
  /** The host address passt listens on (`127.0.0.1:8000:8000`); every address when absent. */
  readonly hostAddress?: string;
}

/**
 * Parses run.py's/QEMU's `--forward` rule: `tcp:8080:80`, `udp:5353:53`, `8080:80` (tcp), or
 * with a host address, `tcp:127.0.0.1:8080:80`.
 */
export function parsePortForward(rule: string): PortForward {
  const m = /^(?:(tcp|udp):)?(?:([\d.]*):)?(\d+)(?:-:|:)(\d+)$/.exec(rule.replace(/^hostfwd=/, ''));
  if (!m) throw new Error(`bad --forward rule '${rule}' (expected tcp:HOSTPORT:GUESTPORT)`);
  const hostPort = Number(m[3]);
  const guestPort = Number(m[4]);
  if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535)
    throw new Error(`bad port in --forward rule '${rule}'`);
  const protocol = (m[1] as 'tcp' | 'udp' | undefined) ?? 'tcp';
  return m[2] ? { protocol, hostPort, guestPort, hostAddress: m[2] } : { protocol, hostPort, guestPort };
}

/** passt's `-t`/`-u` spec of one forward: `[ADDRESS/]HOSTPORT:GUESTPORT` (passt(1)). */
function passtSpec(f: PortForward): string {
  return `${f.hostAddress !== undefined ? `${f.hostAddress}/` : ''}${f.hostPort}:${f.guestPort}`;
}

/**
 * passt's default MTU (passt(1) `--mtu`: 65520, what it also hands out by DHCP option 26): its
 * socket carries frames of up to 64 KiB, so a large MTU makes a bulk transfer a few frames a
 * window instead of one per 1460 bytes.
 */
export const PASST_MTU = 65520;

export class PasstBackend implements NetBackend {
  readonly mtu = PASST_MTU;
  private deliver: ((frame: Uint8Array, checksumValid: boolean) => void) | undefined;
  private readonly decoder = new FrameStreamDecoder((frame) => {
    this.counters.framesIn++;
    this.counters.bytesIn += frame.length;
    this.deliver?.(frame, false);
  });
  private socket: net.Socket | undefined;
  private child: ChildProcess | undefined;
  private dir: string | undefined;
  readonly counters = { framesOut: 0, framesIn: 0, bytesOut: 0, bytesIn: 0 };

  /** Starts passt and connects to its socket. */
  static async start(options: { forwards?: readonly PortForward[]; passtPath?: string } = {}): Promise<PasstBackend> {
    const b = new PasstBackend();
    await b.launch(options.forwards ?? [], options.passtPath ?? 'passt');
    return b;
  }

  private async launch(forwards: readonly PortForward[], passtPath: string): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'osv-passt-'));
    // passt started as root drops to nobody before it creates its socket.
    chmodSync(this.dir, 0o777);
    const sock = join(this.dir, 'passt.socket');
    const args = ['--foreground', '--socket', sock, '--quiet', '--one-off'];
    // One option per forward: passt takes an address only in front of a whole port list.
    for (const f of forwards) args.push(f.protocol === 'tcp' ? '-t' : '-u', passtSpec(f));
    const child = spawn(passtPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`passt exited (${code}) before it was ready: ${stderr.trim() || 'no message'}`)),
      ),
    );
    child.once('error', () => undefined);
    // passt listens on the forwarded ports before it binds this socket, and a connection it
    // accepts before we connect loses its SYN (passt sends it to no one and waits 10 s): poll
    // often, so that window stays about a millisecond.
    for (let i = 0; i < 5000 && !existsSync(sock); i++) {
      await Promise.race([new Promise((r) => setTimeout(r, 1)), exited]);
    }
    if (!existsSync(sock)) throw new Error(`passt did not create ${sock}: ${stderr.trim()}`);
    // The socket file appears at bind(), a moment before passt listen()s: until then a connect is
    // refused, so retry that (and only that) for a while.
    const connectOnce = (): Promise<net.Socket> =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(sock, () => resolve(s));
        s.once('error', reject);
      });
    for (let attempt = 0; ; attempt++) {
      try {
        this.socket = await Promise.race([connectOnce(), exited]);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ECONNREFUSED' || attempt >= 5000) throw e;
        await Promise.race([new Promise((r) => setTimeout(r, 1)), exited]);
      }
    }
    this.socket.setNoDelay(true);
    this.socket.on('data', (d: Buffer) => this.decoder.push(d));
  }

  send(frame: Uint8Array): void {
    if (!this.socket) return;
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
    this.socket.write(encodeStreamFrame(frame));
  }

  connect(deliver: (frame: Uint8Array, checksumValid: boolean) => void): void {
    this.deliver = deliver;
  }

  /** Stops passt and removes its socket directory. */
  close(): void {
    this.socket?.destroy();
    this.child?.kill('SIGTERM');
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

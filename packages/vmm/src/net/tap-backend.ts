// A Linux TAP device as the guest's wire (OSv's run.py `-n -v --tap NAME`): the guest's frames
// go out on the TAP and the host stack sees a peer on an Ethernet link, with no NAT and no
// port forwarding. osv-tap-relay (native/tap-relay.c) holds the TAP's file descriptor and
// relays frames over a pipe pair in QEMU's stream framing, which keeps frame boundaries.
// Left out: vnet headers (the device model completes checksums itself), multiqueue.
import { spawn, type ChildProcess } from 'node:child_process';
import type { NetBackend } from '@osv-ts/drivers-virtio';
import { FrameStreamDecoder, encodeStreamFrame } from './frame-stream.js';
import { ensureTapRelay } from './tap-relay-binary.js';

export interface TapBackendOptions {
  /** The TAP device: attached to when it exists, created (and removed at exit) when not;
   *  a pattern such as `tap%d` lets the kernel pick a free name. */
  readonly ifname: string;
  /** A prebuilt relay; by default it is compiled from native/tap-relay.c on first use. */
  readonly relayPath?: string;
  /** Run the relay (so create or find the device) inside this network namespace (`ip netns`). */
  readonly netns?: string;
  /** Frames kept for the relay while its pipe is full; beyond, frames are dropped (default 1024). */
  readonly txBacklogFrames?: number;
}

export class TapBackend implements NetBackend {
  private deliver: ((frame: Uint8Array, checksumValid: boolean) => void) | undefined;
  private readonly decoder = new FrameStreamDecoder((f) => this.onFrame(f));
  private readonly txBacklogBytes: number;
  readonly counters = { framesOut: 0, framesIn: 0, bytesOut: 0, bytesIn: 0, framesDropped: 0 };
  /** Settles with the relay's exit code when it ends (close(), or the device was deleted). */
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    /** The device's name (the kernel's choice when a pattern was given). */
    readonly ifname: string,
    /** Whether the relay created the device (it disappears when the relay exits). */
    readonly created: boolean,
    /** The TAP device's MTU when the relay attached (what the guest is offered). */
    readonly mtu: number,
    txBacklogFrames: number,
  ) {
    this.txBacklogBytes = txBacklogFrames * Math.max(1600, mtu + 18);
    this.exited =
      child.exitCode !== null
        ? Promise.resolve(child.exitCode)
        : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout!.on('data', (d: Buffer) => this.decoder.push(d));
    child.stdin!.on('error', () => undefined);
  }

  /** Starts the relay and waits until it holds the TAP device. */
  static async start(options: TapBackendOptions): Promise<TapBackend> {
    if (!/^[A-Za-z0-9_.:%-]{1,15}$/.test(options.ifname)) throw new Error(`bad TAP device name '${options.ifname}'`);
    const relay = options.relayPath ?? ensureTapRelay();
    const [cmd, args] =
      options.netns === undefined
        ? [relay, [options.ifname]]
        : ['ip', ['netns', 'exec', options.netns, relay, options.ifname]];
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    const ready = await new Promise<{ ifname: string; how: string; mtu: number }>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        stderr += d.toString();
        const m = /^ready (\S+) (created|attached) mtu (\d+)$/m.exec(stderr);
        if (m) {
          child.stderr.off('data', onData);
          child.off('exit', onExit);
          resolve({ ifname: m[1]!, how: m[2]!, mtu: Number(m[3]) });
        }
      };
      const onExit = (code: number | null): void =>
        reject(new Error(stderr.trim() || `osv-tap-relay exited (${code}) before it attached to ${options.ifname}`));
      child.stderr.on('data', onData);
      child.once('exit', onExit);
      child.once('error', (e) => reject(new Error(`cannot start ${relay}: ${e.message}`)));
    });
    // Later relay messages (a lost stream, a failed write) go to our stderr.
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    return new TapBackend(child, ready.ifname, ready.how === 'created', ready.mtu, options.txBacklogFrames ?? 1024);
  }

  send(frame: Uint8Array): void {
    const stdin = this.child.stdin!;
    if (stdin.destroyed || stdin.writableLength > this.txBacklogBytes) {
      this.counters.framesDropped++;
      return;
    }
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
    // Written at once (libuv tries the pipe synchronously): the VMM's service loop may spin
    // without yielding for a while, so deferring the write (cork until nextTick) would hold
    // the frame for that long.
    stdin.write(encodeStreamFrame(frame));
  }

  connect(deliver: (frame: Uint8Array, checksumValid: boolean) => void): void {
    this.deliver = deliver;
  }

  private onFrame(frame: Uint8Array): void {
    this.counters.framesIn++;
    this.counters.bytesIn += frame.length;
    this.deliver?.(frame, false);
  }

  /** Stops the relay; a TAP it created goes away with it. */
  close(): void {
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
  }
}

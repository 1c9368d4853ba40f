// A Linux TAP device as the guest's wire (OSv's run.py `-n -v --tap NAME`): the guest's frames
// go out on the TAP and the host stack sees a peer on an Ethernet link, with no NAT and no
// port forwarding. osv-tap-relay (native/tap-relay.c) holds the TAP's file descriptor and
// relays frames over a pipe pair in QEMU's stream framing, which keeps frame boundaries.
// With vnet headers (IFF_VNET_HDR, the default) every frame carries its virtio_net_hdr both
// ways, so the guest's TCP segmentation and checksum offloads reach the host's stack as
// QEMU's tap back-end passes them: one 64 KiB segment crosses the pipe instead of 44 frames.
// With `threaded`, the relay's stdin and stdout are two FIFOs instead of pipes, so that the NIC's
// device thread can write and read them with blocking system calls (threaded-tap-backend.ts).
// Left out: multiqueue.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestOffloads, NetBackend } from '@osv-ts/drivers-virtio';
import { FrameStreamDecoder, MAX_STREAM_FRAME_BYTES, encodeStreamFrame } from './frame-stream.js';
import { ensureTapRelay } from './tap-relay-binary.js';
import { tapOffloadRecord } from './tap-offload-record.js';
import type { TapFifoSpec } from './threaded-tap-backend.js';

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
  /** Frames carry a virtio_net_hdr both ways (IFF_VNET_HDR) so offloads pass through (default true). */
  readonly vnetHeader?: boolean;
  /**
   * The relay talks through two FIFOs that a device thread reads and writes with blocking
   * system calls (ThreadedTapBackend), not through pipes on this thread's event loop. The
   * machine must then run the device on its thread (MachineConfig.deviceThreads).
   */
  readonly threaded?: boolean;
}

/** virtio_net_hdr with num_buffers (virtio 1.2 §5.1.6), as TUNSETVNETHDRSZ sets it. */
const VNET_HEADER_BYTES = 12;

export class TapBackend implements NetBackend {
  private deliver: ((frame: Uint8Array, checksumValid: boolean) => void) | undefined;
  private readonly decoder: FrameStreamDecoder;
  private corked = false;
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
    /** Every frame is preceded by its virtio_net_hdr (NetBackend.vnetHeader). */
    readonly vnetHeader: boolean,
    txBacklogFrames: number,
    /**
     * With `threaded`: the relay's FIFOs, for the device thread that serves the device
     * (ThreadedTapBackend); frames then never pass through this object.
     */
    readonly fifos?: TapFifoSpec & { readonly dir: string },
  ) {
    const header = vnetHeader ? VNET_HEADER_BYTES : 0;
    this.decoder = new FrameStreamDecoder((f) => this.onFrame(f), MAX_STREAM_FRAME_BYTES + header);
    // Sized in frames of the link's MTU; a segmentation-offload frame counts as several.
    this.txBacklogBytes = txBacklogFrames * Math.max(1600, mtu + 18 + header);
    this.exited =
      child.exitCode !== null
        ? Promise.resolve(child.exitCode)
        : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout?.on('data', (d: Buffer) => this.decoder.push(d));
    child.stdin?.on('error', () => undefined);
  }

  /** Starts the relay and waits until it holds the TAP device. */
  static async start(options: TapBackendOptions): Promise<TapBackend> {
    if (!/^[A-Za-z0-9_.:%-]{1,15}$/.test(options.ifname)) throw new Error(`bad TAP device name '${options.ifname}'`);
    const relay = options.relayPath ?? ensureTapRelay();
    const vnetHeader = options.vnetHeader ?? true;
    const relayArgs = vnetHeader ? ['--vnet-hdr', options.ifname] : [options.ifname];
    const [cmd, args] =
      options.netns === undefined ? [relay, relayArgs] : ['ip', ['netns', 'exec', options.netns, relay, ...relayArgs]];
    const fifos = options.threaded ? makeRelayFifos(vnetHeader) : undefined;
    let child: ChildProcess;
    if (fifos) {
      // Opened read-write, so neither open waits for the other end (fifo(7)); the relay keeps
      // these, the device thread opens its own ends by path.
      const stdin = openSync(fifos.txPath, 'r+');
      const stdout = openSync(fifos.rxPath, 'r+');
      try {
        child = spawn(cmd, args, { stdio: [stdin, stdout, 'pipe'] });
      } finally {
        closeSync(stdin);
        closeSync(stdout);
      }
    } else {
      child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    }
    const relayStderr = child.stderr!;
    let stderr = '';
    const attached = new Promise<{ ifname: string; how: string; mtu: number }>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        stderr += d.toString();
        const m = /^ready (\S+) (created|attached) mtu (\d+)$/m.exec(stderr);
        if (m) {
          relayStderr.off('data', onData);
          child.off('exit', onExit);
          resolve({ ifname: m[1]!, how: m[2]!, mtu: Number(m[3]) });
        }
      };
      const onExit = (code: number | null): void =>
        reject(new Error(stderr.trim() || `osv-tap-relay exited (${code}) before it attached to ${options.ifname}`));
      relayStderr.on('data', onData);
      child.once('exit', onExit);
      child.once('error', (e) => reject(new Error(`cannot start ${relay}: ${e.message}`)));
    });
    let ready: { ifname: string; how: string; mtu: number };
    try {
      ready = await attached;
    } catch (e) {
      if (fifos) rmSync(fifos.dir, { recursive: true, force: true });
      throw e;
    }
    // Later relay messages (a lost stream, a failed write) go to our stderr.
    relayStderr.on('data', (d: Buffer) => process.stderr.write(d));
    return new TapBackend(
      child,
      ready.ifname,
      ready.how === 'created',
      ready.mtu,
      vnetHeader,
      options.txBacklogFrames ?? 1024,
      fifos && { ...fifos, mtu: ready.mtu },
    );
  }

  /** Tells the TAP what the guest's driver accepts (QEMU's tap_set_offload): TSO only with checksums. */
  setGuestOffloads(offloads: GuestOffloads): void {
    if (!this.vnetHeader) return;
    const stdin = this.child.stdin;
    if (stdin && !stdin.destroyed) stdin.write(tapOffloadRecord(offloads));
  }

  send(frame: Uint8Array): void {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || stdin.writableLength > this.txBacklogBytes) {
      this.counters.framesDropped++;
      return;
    }
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
    // Held (corked) only until flush(), which the device calls when its transmit queue is
    // drained, so the batch goes to the relay in one writev. Not until nextTick: the VMM's
    // service loop may spin without yielding for a while, and would hold the frames that long.
    // A caller that never calls flush() (not a VirtioNetDevice) still gets its frames out.
    if (!this.corked) {
      stdin.cork();
      this.corked = true;
      process.nextTick(() => this.flush());
    }
    stdin.write(encodeStreamFrame(frame));
  }

  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.child.stdin?.uncork();
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
    if (this.fifos) rmSync(this.fifos.dir, { recursive: true, force: true });
  }
}

/** Two FIFOs in a private directory: the relay's input (the guest's frames) and its output. */
function makeRelayFifos(vnetHeader: boolean): Omit<TapFifoSpec, 'mtu'> & { readonly dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'osv-tap-'));
  const txPath = join(dir, 'to-tap');
  const rxPath = join(dir, 'from-tap');
  // Node has no mkfifo(3); coreutils' mkfifo(1) is on every Linux this runs on.
  const made = spawnSync('mkfifo', ['-m', '600', txPath, rxPath], { encoding: 'utf8' });
  if (made.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `cannot make the TAP relay's FIFOs: ${made.stderr?.trim() || made.error?.message || 'mkfifo failed'}`,
    );
  }
  return { kind: 'tap-fifo', dir, txPath, rxPath, vnetHeader };
}

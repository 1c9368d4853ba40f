// The VMM's handle on one device thread (a Worker running device-thread-entry), and the
// transport's RemoteDataPlane: the VMM's thread keeps the control plane — register traps,
// feature negotiation, queue configuration, lifecycle — and hands the queues to the thread at
// DRIVER_OK (or as soon as the thread is up), takes them back at reset, and stops the thread
// at the end. Requests go through the control block and are waited for synchronously: they
// are rare (device set-up and reset) and the guest is waiting in its trap anyway.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MmioReg, type GuestMemory, type QueueSetup, type RemoteDataPlane } from '@osv-ts/drivers-virtio';
import type { MmioSlot } from '../guest-ram-layout.js';
import { CONTROL_WAKE_BIT, ControlBlock, Ctl, ThreadState, type ControlRequest } from './thread-control.js';
import type { DeviceSpec } from './device-spec.js';
import type { DeviceThreadData, DeviceThreadMessage } from './device-thread-entry.js';
import { FrameRing } from '../net/frame-ring.js';
import { TAP_RING_BYTES, type TapFifoSpec } from '../net/threaded-tap-backend.js';
import type { TapReaderData } from '../net/tap-reader-entry.js';

/** How long a device thread may take to start, to answer a request, or to stop. */
const START_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 2_000;

/**
 * The counters a thread's loop adds to its device's (device-service-loop.ts), zero until the
 * thread reports: `osv run -V` prints the same fields whether or not the thread came up in time
 * to serve the guest (until it does, the disk is served on the VMM's thread).
 */
const NO_LOOP_COUNTERS: Readonly<Record<string, number>> = { sleeps: 0, polledWakes: 0, busyTurns: 0 };

export class DeviceThreadError extends Error {
  override readonly name = 'DeviceThreadError';
}

export class DeviceThread implements RemoteDataPlane {
  readonly control = new ControlBlock();
  private worker: Worker | undefined;
  private report: Record<string, number> | undefined;
  private exited: Promise<void> | undefined;
  private readonly notifyIndex: number;
  /** Called (on the VMM's event loop) once the thread is ready. */
  onReady: (() => void) | undefined;

  constructor(
    private readonly memory: GuestMemory,
    readonly slot: MmioSlot,
    readonly spec: DeviceSpec,
    /** The longest halt-polling window of the thread. */
    private readonly maxPollUs: number,
    /** Hears of an exception that killed the thread. */
    private readonly onCrash: (error: Error) => void,
  ) {
    this.notifyIndex = memory.wordIndex(slot.baseAddress + MmioReg.QueueNotify);
  }

  get name(): string {
    return this.spec.name;
  }

  /**
   * Starts the thread, when the guest first activates the device: a thread costs ~25 ms of CPU
   * to start, which at boot would be taken from the vCPU loading its kernel (2 cores), and a
   * device the guest never drives needs none. A disk is served on the VMM's thread until then.
   */
  prepare(): void {
    if (this.worker) return;
    const ram = this.memory.buffer as SharedArrayBuffer;
    const data: DeviceThreadData = {
      ram,
      control: this.control.buffer,
      spec: this.spec,
      baseAddress: this.slot.baseAddress,
      irq: this.slot.irq,
      maxPollUs: this.maxPollUs,
      ...(this.spec.kind === 'virtio-net' ? { netRing: this.startTapReader(this.spec.backend, ram) } : {}),
    };
    const worker = new Worker(entryPath(), { workerData: data, stdout: false, stderr: false });
    this.worker = worker;
    worker.on('message', (m: DeviceThreadMessage) => {
      if (m.kind === 'ready') this.onReady?.();
      else this.report = m.counters;
    });
    worker.on('error', (e) => this.onCrash(e));
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /**
   * A NIC's reader thread (tap-reader-entry.ts), started here: a Worker does not start while its
   * parent's event loop is blocked, and the device thread's always is. It ends when the relay
   * closes its FIFO; unref'd, so it holds nothing open until then.
   */
  private startTapReader(fifo: TapFifoSpec, ram: SharedArrayBuffer): SharedArrayBuffer {
    const ring = new FrameRing(TAP_RING_BYTES);
    const data: TapReaderData = {
      fifoPath: fifo.rxPath,
      ring: ring.buffer,
      ram,
      notifyIndex: this.notifyIndex,
      headerBytes: fifo.vnetHeader ? 12 : 0,
    };
    const reader = new Worker(entryPath('tap-reader-entry.js'), { workerData: data, stdout: false, stderr: false });
    reader.on('error', (e) => this.onCrash(e));
    reader.unref();
    return ring.buffer;
  }

  get ready(): boolean {
    return Atomics.load(this.control.words, Ctl.state) === ThreadState.Ready;
  }

  activate(features: bigint, queues: readonly QueueSetup[]): void {
    this.waitReady();
    this.request({
      op: 'activate',
      features: features.toString(),
      queues: queues.map((q) => ({ index: q.index, ...q.layout, ...q.position })),
    });
  }

  deactivate(): void {
    if (this.ready) this.request({ op: 'deactivate' });
  }

  failure(): string | undefined {
    return this.control.failure();
  }

  /** Asks the thread to stop and waits for it (terminating it after STOP_TIMEOUT_MS). */
  async stop(): Promise<void> {
    if (!this.worker || !this.exited) return;
    this.control.post({ op: 'stop' });
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS)));
    const how = await Promise.race([this.exited.then(() => 'exited' as const), late]);
    clearTimeout(timer);
    if (how === 'late') await this.worker.terminate();
  }

  /** The thread's counters (kicks, interrupts, sleeps, the model's own), once it has stopped. */
  get counters(): Record<string, number> {
    return { ...NO_LOOP_COUNTERS, ...this.report };
  }

  private waitReady(): void {
    const words = this.control.words;
    const until = performance.now() + START_TIMEOUT_MS;
    let state;
    while ((state = Atomics.load(words, Ctl.state)) === ThreadState.Starting) {
      if (performance.now() > until) throw new DeviceThreadError(`${this.name}: device thread did not start`);
      Atomics.wait(words, Ctl.state, state, 100);
    }
    if (state !== ThreadState.Ready) throw new DeviceThreadError(`${this.name}: device thread has stopped`);
  }

  /** Posts a request and waits until the thread has carried it out. */
  private request(request: ControlRequest): void {
    const words = this.control.words;
    const seq = this.control.post(request);
    this.wake();
    const until = performance.now() + REQUEST_TIMEOUT_MS;
    let spins = 0;
    for (;;) {
      const ack = Atomics.load(words, Ctl.ackSeq);
      if (ack === seq) return;
      if (++spins < 1000) continue;
      if (performance.now() > until)
        throw new DeviceThreadError(`${this.name}: device thread did not answer '${request.op}'`);
      Atomics.wait(words, Ctl.ackSeq, ack, 10);
    }
  }

  /** Wakes the thread: on the control block while it serves nothing, else on QueueNotify. */
  private wake(): void {
    Atomics.notify(this.control.words, Ctl.requestSeq);
    Atomics.or(this.memory.words, this.notifyIndex, CONTROL_WAKE_BIT);
    Atomics.notify(this.memory.words, this.notifyIndex);
  }
}

/** A thread's bundle in dist/, from dist/ (the package) or from src/device-thread/ (tests). */
function entryPath(file = 'device-thread-entry.js'): string {
  for (const rel of [`./${file}`, `../../dist/${file}`]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new DeviceThreadError(`dist/${file} is missing from @osv-ts/vmm (run its build)`);
}

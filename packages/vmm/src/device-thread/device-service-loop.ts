// A device thread's loop (the vhost worker). It sleeps in Atomics.wait on the device's
// QueueNotify word, where the guest's kicks land, and when woken does everything there is:
// the VMM's control requests (take the queues, give them back, stop), then every queue's
// available chains and back-end events through the device model's service(), raising one
// interrupt per batch. After its last piece of work it keeps polling for a while (a guest that
// just kicked usually kicks again within microseconds, and a futex sleep and wake costs
// 10-50 µs): how long is a halt-polling window (core-sched HaltPollWindow, KVM's algorithm) that
// grows while the guest comes back soon and shrinks to nothing when it does not; and none at all
// after a bulk transfer, which the guest takes long to consume (BulkTransferGate). Then it turns
// the guest's notifications back on, checks once more, and sleeps: an idle device costs no CPU
// and no wake-ups.
import {
  DeviceVirtqueue,
  Feature,
  INT_CONFIG,
  INT_VRING,
  MmioReg,
  bit,
  type DeviceModel,
  type DeviceModelHost,
  type GuestMemory,
  type InterruptLine,
} from '@osv-ts/drivers-virtio';
import { HaltPollWindow } from '@osv-ts/core-sched';
import { BulkTransferGate } from './bulk-transfer-gate.js';
import { Ctl, QUEUE_BITS, ThreadState, type ControlBlock, type ControlRequest } from './thread-control.js';

export interface ServiceLoopCounters {
  /** Queue notifications (kicks) the guest sent. */
  notifications: number;
  /** Interrupts raised. */
  interrupts: number;
  /** Times the thread went to sleep in Atomics.wait. */
  sleeps: number;
  /** Times work arrived while the thread polled (a sleep and a wake saved). */
  polledWakes: number;
  /** Loop turns that found work. */
  busyTurns: number;
}

/** Back-end hooks a device thread's loop drives besides the device model. */
export interface ThreadBackend {
  /** Called before sleeping: arrange for BACKEND_WAKE_BIT when the host side has data. */
  armWake?(): void;
  /** Called every turn before the device is served: hand it what the host side received. */
  poll?(): boolean;
}

export class DeviceServiceLoop implements DeviceModelHost {
  readonly counters: ServiceLoopCounters = { notifications: 0, interrupts: 0, sleeps: 0, polledWakes: 0, busyTurns: 0 };
  /** Undefined: the thread sleeps as soon as it has no work (a window of 0). */
  private readonly poll: HaltPollWindow | undefined;
  private readonly notifyIndex: number;
  private readonly sleepingIndex: number;
  private readonly interruptIndex: number;
  private active = false;
  private failed = false;
  /** No polling after a bulk transfer (bulk-transfer-gate.ts). */
  private readonly gate: BulkTransferGate;

  constructor(
    readonly memory: GuestMemory,
    private readonly control: ControlBlock,
    private readonly device: DeviceModel,
    baseAddress: number,
    private readonly line: InterruptLine,
    /** The longest halt-polling window (0: never poll). */
    maxPollUs: number,
    private readonly backend: ThreadBackend = {},
  ) {
    this.poll =
      maxPollUs > 0
        ? new HaltPollWindow({ startNs: Math.min(20_000, maxPollUs * 1000), maxNs: maxPollUs * 1000 })
        : undefined;
    if (!device.service || !device.quiesce)
      throw new TypeError(`${device.name}: a device thread needs a model with service() and quiesce()`);
    this.gate = new BulkTransferGate(device.counters);
    this.notifyIndex = memory.wordIndex(baseAddress + MmioReg.QueueNotify);
    this.sleepingIndex = memory.wordIndex(baseAddress + MmioReg.OsvNotifySleeping);
    this.interruptIndex = memory.wordIndex(baseAddress + MmioReg.InterruptStatus);
  }

  /** Runs until the VMM asks the thread to stop. */
  run(): void {
    const words = this.memory.words;
    const ctl = this.control.words;
    Atomics.store(ctl, Ctl.state, ThreadState.Ready);
    Atomics.notify(ctl, Ctl.state);
    let lastWorkMs = performance.now();
    let polling = false;
    for (;;) {
      // The QueueNotify word is ours only while we serve the queues: before that (and after a
      // reset) the VMM's thread serves them and takes the kicks.
      const bits = this.active ? Atomics.exchange(words, this.notifyIndex, 0) : 0;
      let worked = false;
      if (bits & QUEUE_BITS) this.counters.notifications += popcount(bits & QUEUE_BITS);
      const pending = this.control.pending();
      if (pending) {
        if (pending.request.op === 'stop') {
          this.control.acknowledge(pending.seq);
          break;
        }
        this.handle(pending.request);
        this.control.acknowledge(pending.seq);
        worked = true;
      }
      if (this.active && this.backend.poll?.()) worked = true;
      if (this.active && this.serve()) worked = true;
      const now = performance.now();
      if (worked) {
        this.counters.busyTurns++;
        if (polling) {
          this.poll?.pollSucceeded();
          this.counters.polledWakes++;
          polling = false;
        }
        lastWorkMs = now;
        continue;
      }
      if (!this.active) {
        // Nothing to serve: sleep until the VMM posts a request.
        this.counters.sleeps++;
        Atomics.wait(ctl, Ctl.requestSeq, Atomics.load(ctl, Ctl.ackSeq));
        continue;
      }
      if (this.poll && !this.gate.bulk && now - lastWorkMs < this.poll.windowNs / 1e6) {
        polling = true;
        continue;
      }
      polling = false;
      this.gate.idle();
      // Idle: notifications back on, and sleep unless something slipped in meanwhile.
      if (!this.quiesce()) {
        lastWorkMs = now;
        continue;
      }
      this.backend.armWake?.();
      this.counters.sleeps++;
      // The guest notifies only while this is set (MmioReg.OsvNotifySleeping).
      Atomics.store(words, this.sleepingIndex, 1);
      Atomics.wait(words, this.notifyIndex, 0);
      Atomics.store(words, this.sleepingIndex, 0);
      lastWorkMs = performance.now();
      this.poll?.slept((lastWorkMs - now) * 1e6);
    }
    if (this.active) this.device.reset();
    Atomics.store(ctl, Ctl.state, ThreadState.Stopped);
  }

  // DeviceModelHost, for the device model on this thread.
  signalUsed(queue: DeviceVirtqueue): void {
    if (queue.needsInterrupt()) this.raise(INT_VRING);
  }

  signalConfigChange(): void {
    this.raise(INT_CONFIG);
  }

  /** A bad ring from the guest: stop serving, tell the VMM (DEVICE_NEEDS_RESET there). */
  fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.control.reportFailure(reason);
    this.raise(INT_CONFIG);
  }

  private serve(): boolean {
    if (this.failed) return false;
    try {
      return this.device.service!();
    } catch (e) {
      if (!isGuestError(e)) throw e;
      this.fail((e as Error).message);
      return false;
    }
  }

  private quiesce(): boolean {
    if (this.failed) return true;
    try {
      return this.device.quiesce!();
    } catch (e) {
      if (!isGuestError(e)) throw e;
      this.fail((e as Error).message);
      return true;
    }
  }

  private handle(request: ControlRequest): void {
    if (request.op === 'deactivate') {
      if (this.active) this.device.reset();
      this.active = false;
      this.failed = false;
      this.control.clearFailure();
      return;
    }
    if (request.op !== 'activate') return;
    const features = BigInt(request.features);
    const queueFeatures = {
      eventIdx: (features & bit(Feature.EVENT_IDX)) !== 0n,
      indirect: (features & bit(Feature.INDIRECT_DESC)) !== 0n,
    };
    const queues: (DeviceVirtqueue | undefined)[] = [];
    for (const q of request.queues) {
      const layout = {
        size: q.size,
        descAddress: q.descAddress,
        availAddress: q.availAddress,
        usedAddress: q.usedAddress,
      };
      queues[q.index] = new DeviceVirtqueue(this.memory, q.index, layout, queueFeatures, q);
    }
    this.active = true;
    this.failed = false;
    this.device.activate(this, features, queues);
  }

  private raise(bits: number): void {
    this.counters.interrupts++;
    Atomics.or(this.memory.words, this.interruptIndex, bits);
    this.line.raise();
  }
}

/** What a guest can cause (a bad ring or buffer address), as opposed to a host bug. */
function isGuestError(e: unknown): boolean {
  const name = (e as Error | undefined)?.name;
  return name === 'VirtqueueError' || name === 'GuestMemoryError';
}

function popcount(n: number): number {
  let c = 0;
  for (let v = n >>> 0; v !== 0; v &= v - 1) c++;
  return c;
}

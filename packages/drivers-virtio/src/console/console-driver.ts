// virtio-console driver (virtio 1.2 §5.3.6) for port 0: the guest's Console. Output is copied
// into transmit buffers taken from the page allocator; a write that finds every buffer in
// flight waits on a wait queue until the device's interrupt returns one. When the device reports
// that the host could not deliver output (OSV_CONSOLE_F_TX_ERROR), every later write and flush
// fails with that errno, as writes to a pipe without a reader or a full disk keep failing.
import { KernelError, type Console } from '@osv-ts/kernel-api';
import { WaitQueue, type Scheduler } from '@osv-ts/core-sched';
import type { GuestMemory } from '../guest-memory.js';
import type { GuestVirtqueue } from '../guest/guest-virtqueue.js';
import type { DmaAllocator, VirtioMmioTransport } from '../guest/mmio-transport.js';
import { Feature, INT_CONFIG, bit } from '../mmio/registers.js';
import {
  CONSOLE_RECEIVEQ,
  CONSOLE_TRANSMITQ,
  CONSOLE_TX_ERROR_OFFSET,
  OSV_CONSOLE_F_TX_ERROR,
} from './console-device.js';

const TX_BUFFER_BYTES = 4096;
const TX_BUFFERS = 16;
const RX_BUFFER_BYTES = 4096;
const RX_BUFFERS = 4;

export class VirtioConsoleDriver implements Console {
  readonly isTerminal: boolean;
  private tx!: GuestVirtqueue<number>;
  private rx!: GuestVirtqueue<number>;
  private readonly freeTx: number[] = [];
  private txPool = 0;
  private rxPool = 0;
  private readonly input: Uint8Array[] = [];
  private inputEnded = false;
  private txErrorNegotiated = false;
  /** Linux errno of the host's failed output (0 while output is delivered). */
  private txErrno = 0;
  /** Woken from the interrupt handler whenever the device returned buffers. */
  readonly used = new WaitQueue('virtio-console');
  readonly counters = { writes: 0, bytes: 0, notifications: 0, interrupts: 0, waits: 0 };

  constructor(
    private readonly transport: VirtioMmioTransport,
    private readonly mem: GuestMemory,
    private readonly dma: DmaAllocator,
    private readonly sched: Scheduler,
    options: { isTerminal?: boolean } = {},
  ) {
    this.isTerminal = options.isTerminal ?? false;
  }

  /** Device initialization (§3.1.1) and buffer setup; throws VirtioInitError on failure. */
  init(): void {
    const features = this.transport.negotiate(
      bit(Feature.EVENT_IDX) | bit(Feature.INDIRECT_DESC) | bit(OSV_CONSOLE_F_TX_ERROR),
    );
    this.txErrorNegotiated = (features & bit(OSV_CONSOLE_F_TX_ERROR)) !== 0n;
    this.rx = this.transport.setupQueue<number>(CONSOLE_RECEIVEQ, RX_BUFFERS, this.dma);
    this.tx = this.transport.setupQueue<number>(CONSOLE_TRANSMITQ, TX_BUFFERS, this.dma);
    this.txPool = this.dma.alloc(TX_BUFFER_BYTES * TX_BUFFERS);
    for (let i = 0; i < TX_BUFFERS; i++) this.freeTx.push(this.txPool + i * TX_BUFFER_BYTES);
    this.rxPool = this.dma.alloc(RX_BUFFER_BYTES * RX_BUFFERS);
    this.transport.driverOk();
    for (let i = 0; i < RX_BUFFERS; i++) {
      const at = this.rxPool + i * RX_BUFFER_BYTES;
      this.rx.add([], [{ address: at, length: RX_BUFFER_BYTES }], at);
    }
    if (this.rx.publish()) this.transport.notify(CONSOLE_RECEIVEQ);
  }

  /** Throws KernelError(errno) once the host's output has failed. */
  write(data: Uint8Array): void {
    this.throwIfFailed();
    this.counters.writes++;
    this.counters.bytes += data.length;
    let offset = 0;
    while (offset < data.length) {
      if (this.freeTx.length === 0) {
        this.kick();
        this.counters.waits++;
        // Park on the driver's wait queue until the interrupt handler returns a buffer.
        this.sched.run(
          this.sched.waitUntil(this.used, () => this.reclaim() > 0 || this.freeTx.length > 0 || this.txErrno !== 0),
        );
        this.throwIfFailed();
      }
      const buffer = this.freeTx.pop()!;
      const n = Math.min(TX_BUFFER_BYTES, data.length - offset);
      this.mem.bytes.set(data.subarray(offset, offset + n), buffer);
      this.tx.add([{ address: buffer, length: n }], [], buffer);
      offset += n;
    }
    this.kick();
  }

  /** Waits until the device has taken every buffer; throws KernelError(errno) if output failed. */
  flush(): void {
    this.kick();
    this.sched.run(
      this.sched.waitUntil(this.used, () => {
        this.reclaim();
        return this.tx.inFlight === 0;
      }),
    );
    // The last buffers may have come back before their configuration-change interrupt was
    // handled: read the field itself once rather than miss the error.
    if (this.txErrorNegotiated && this.txErrno === 0)
      this.txErrno = this.transport.readConfig(CONSOLE_TX_ERROR_OFFSET, 4);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.txErrno !== 0) throw new KernelError(this.txErrno, 'the console output failed on the host');
  }

  read(into: Uint8Array): number {
    this.takeInput();
    if (this.input.length === 0) return this.inputEnded ? 0 : -1;
    let n = 0;
    while (n < into.length && this.input.length > 0) {
      const head = this.input[0]!;
      const k = Math.min(into.length - n, head.length);
      into.set(head.subarray(0, k), n);
      n += k;
      if (k === head.length) this.input.shift();
      else this.input[0] = head.subarray(k);
    }
    return n;
  }

  /** Interrupt handler: acknowledge, collect used buffers, wake waiters. */
  onInterrupt(): void {
    this.counters.interrupts++;
    const status = this.transport.takeInterrupt();
    if (status & INT_CONFIG) {
      if (this.transport.needsReset()) throw new Error('virtio-console: device needs reset');
      if (this.txErrorNegotiated && this.txErrno === 0)
        this.txErrno = this.transport.readConfig(CONSOLE_TX_ERROR_OFFSET, 4);
    }
    this.reclaim();
    this.takeInput();
    this.used.wakeAll();
  }

  private kick(): void {
    if (this.tx.publish()) {
      this.counters.notifications++;
      this.transport.notify(CONSOLE_TRANSMITQ);
    }
  }

  private reclaim(): number {
    let n = 0;
    let used;
    while ((used = this.tx.takeUsed()) !== undefined) {
      this.freeTx.push(used.token);
      n++;
    }
    return n;
  }

  private takeInput(): void {
    let used;
    let reposted = false;
    while ((used = this.rx.takeUsed()) !== undefined) {
      if (used.writtenBytes === 0) this.inputEnded = true;
      else this.input.push(this.mem.bytes.slice(used.token, used.token + Math.min(used.writtenBytes, RX_BUFFER_BYTES)));
      this.rx.add([], [{ address: used.token, length: RX_BUFFER_BYTES }], used.token);
      reposted = true;
    }
    if (reposted && this.rx.publish()) this.transport.notify(CONSOLE_RECEIVEQ);
  }
}

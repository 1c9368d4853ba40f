// The control block between the VMM's thread and one device thread: a small SharedArrayBuffer
// of the host's own (never guest RAM, so the guest cannot forge a request). The VMM posts one
// request at a time — activate the queues, deactivate them, stop — as JSON in the block's byte
// area and waits for the thread's acknowledgement; the thread reports that it is ready and
// why it stopped serving a guest's rings. The VMM wakes the thread on the guest's QueueNotify
// word, where the thread sleeps (bit 31 there means "look at the control block").

/** Int32 word indices. */
export const Ctl = {
  /** ThreadState, written by the device thread. */
  state: 0,
  /** Bumped by the VMM for each request; the thread sets ack to it when done. */
  requestSeq: 1,
  ackSeq: 2,
  /** Length of the request's JSON in the byte area. */
  requestBytes: 3,
  /** Non-zero once the thread met a guest error (its reason's length in the failure area). */
  failureBytes: 4,
  words: 16,
} as const;

export const ThreadState = { Starting: 0, Ready: 1, Stopped: 2 } as const;

/** Offsets of the byte areas after the words. */
const REQUEST_AREA = Ctl.words * 4;
const REQUEST_AREA_BYTES = 8192;
const FAILURE_AREA = REQUEST_AREA + REQUEST_AREA_BYTES;
const FAILURE_AREA_BYTES = 1024;

/** The bit of the QueueNotify word the VMM sets to wake the thread for the control block. */
export const CONTROL_WAKE_BIT = 1 << 31;
/** The bit a back-end's readiness watcher sets (data arrived on a TAP or socket). */
export const BACKEND_WAKE_BIT = 1 << 30;
/** Queue kicks live in the low bits (one per virtqueue). */
export const QUEUE_BITS = 0xffff;

export type ControlRequest =
  | {
      readonly op: 'activate';
      /** Negotiated features as a decimal string (bigint does not cross as JSON). */
      readonly features: string;
      readonly queues: readonly {
        readonly index: number;
        readonly size: number;
        readonly descAddress: number;
        readonly availAddress: number;
        readonly usedAddress: number;
        readonly lastAvailIdx: number;
        readonly usedIdx: number;
        readonly lastSignalledUsed: number;
        readonly notificationsEnabled: boolean;
      }[];
    }
  | { readonly op: 'deactivate' }
  | { readonly op: 'stop' };

export class ControlBlock {
  readonly words: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(FAILURE_AREA + FAILURE_AREA_BYTES)) {
    this.words = new Int32Array(buffer, 0, Ctl.words);
    this.bytes = new Uint8Array(buffer);
  }

  /** VMM side: stores the next request; returns its sequence number. */
  post(request: ControlRequest): number {
    const json = new TextEncoder().encode(JSON.stringify(request));
    if (json.length > REQUEST_AREA_BYTES) throw new RangeError(`control request of ${json.length} bytes`);
    this.bytes.set(json, REQUEST_AREA);
    Atomics.store(this.words, Ctl.requestBytes, json.length);
    return Atomics.add(this.words, Ctl.requestSeq, 1) + 1;
  }

  /** Thread side: the request not yet acknowledged, if any. */
  pending(): { seq: number; request: ControlRequest } | undefined {
    const seq = Atomics.load(this.words, Ctl.requestSeq);
    if (seq === Atomics.load(this.words, Ctl.ackSeq)) return undefined;
    const n = Atomics.load(this.words, Ctl.requestBytes);
    const text = new TextDecoder().decode(this.bytes.slice(REQUEST_AREA, REQUEST_AREA + n));
    return { seq, request: JSON.parse(text) as ControlRequest };
  }

  acknowledge(seq: number): void {
    Atomics.store(this.words, Ctl.ackSeq, seq);
    Atomics.notify(this.words, Ctl.ackSeq);
  }

  /** Thread side: records why it stopped serving the guest's rings. */
  reportFailure(reason: string): void {
    const text = new TextEncoder().encode(reason).subarray(0, FAILURE_AREA_BYTES);
    this.bytes.set(text, FAILURE_AREA);
    Atomics.store(this.words, Ctl.failureBytes, text.length || 1);
  }

  failure(): string | undefined {
    const n = Atomics.load(this.words, Ctl.failureBytes);
    if (n === 0) return undefined;
    return new TextDecoder().decode(this.bytes.slice(FAILURE_AREA, FAILURE_AREA + n));
  }

  clearFailure(): void {
    Atomics.store(this.words, Ctl.failureBytes, 0);
  }
}

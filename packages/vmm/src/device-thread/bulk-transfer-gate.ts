// Whether a device thread should poll for the guest's next kick after a busy period, by how
// much data the period moved. After a small request (a 4 KiB read, a FUSE LOOKUP, a short frame)
// the guest usually waits for the reply and kicks again within microseconds: polling saves it a
// futex wake-up on both sides (~35 µs each on the 2-core development machine, 2026-12-08). After
// a bulk transfer (a 1 MiB read, a TSO segment train) the guest is busy for a long time
// consuming it, copying megabytes, and a poll would only take the core it copies on.
//
// Measured 2026-12-08 with a 200 µs window: 8192 random 4 KiB preads on ROFS 700–1030 ms without
// polling, 355–572 ms with it; 1 MiB ROFS reads (bench/rofs-read.mjs, 7 runs, two rounds)
// 2705/2939 MB/s without, 3125/2459 MB/s with (within the run-to-run spread).

/** A busy period that moved at least this much was a bulk transfer. */
export const BULK_TRANSFER_BYTES = 256 * 1024;

/** The device models' byte counters (blk and fs: read/written; net: tx/rx). */
const BYTE_COUNTERS = ['readBytes', 'writtenBytes', 'txBytes', 'rxBytes'] as const;

export class BulkTransferGate {
  private sinceIdle: number;

  constructor(private readonly counters: Readonly<Record<string, number>> | undefined) {
    this.sinceIdle = this.moved();
  }

  /** True when the work since the thread last went idle moved too much to poll after. */
  get bulk(): boolean {
    return this.moved() - this.sinceIdle >= BULK_TRANSFER_BYTES;
  }

  /** The thread goes to sleep: the next busy period starts counting. */
  idle(): void {
    this.sinceIdle = this.moved();
  }

  private moved(): number {
    const c = this.counters;
    if (!c) return 0;
    let n = 0;
    for (const k of BYTE_COUNTERS) n += c[k] ?? 0;
    return n;
  }
}

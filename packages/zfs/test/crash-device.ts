// Deterministic power-cut simulation: a device that logs writes and flushes, and a replay that
// builds the image a power cut after the k-th write could leave behind — everything before the
// last completed flush, plus a seeded subset of the writes issued since (disks reorder freely
// between flushes).
import type { BlockDevice } from '@osv-ts/kernel-api';

export type DeviceOp = { kind: 'write'; offset: number; data: Uint8Array } | { kind: 'flush' };

export class RecordingDevice implements BlockDevice {
  readonly sectorSizeBytes = 512;
  readonly readOnly = false;
  readonly log: DeviceOp[] = [];
  readonly bytes: Uint8Array;
  constructor(
    readonly name: string,
    readonly sizeBytes: number,
    initial?: Uint8Array,
  ) {
    this.bytes = new Uint8Array(sizeBytes);
    if (initial) this.bytes.set(initial);
  }
  read(offset: number, into: Uint8Array): void {
    into.set(this.bytes.subarray(offset, offset + into.length));
  }
  write(offset: number, data: Uint8Array): void {
    this.log.push({ kind: 'write', offset, data: data.slice() });
    this.bytes.set(data, offset);
  }
  flush(): void {
    this.log.push({ kind: 'flush' });
  }
  get writes(): number {
    return this.log.filter((o) => o.kind === 'write').length;
  }
}

/**
 * The image after a power cut following write number `k` (1-based), with seeded reordering,
 * on top of `base` (the device contents before the log started; zeros if absent).
 */
export function imageAfterCut(
  log: DeviceOp[],
  img: Uint8Array,
  k: number,
  seed: number,
  base?: Uint8Array,
): Uint8Array {
  if (base) img.set(base);
  else img.fill(0);
  let x = seed >>> 0 || 1;
  const rand = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  let pending: DeviceOp[] = [];
  let issued = 0;
  for (const op of log) {
    if (op.kind === 'flush') {
      for (const p of pending) if (p.kind === 'write') img.set(p.data, p.offset);
      pending = [];
      continue;
    }
    if (issued === k) break;
    issued++;
    pending.push(op);
  }
  // Writes since the last flush reached the disk or not, in any order: keep a random subset.
  for (const p of pending) if (p.kind === 'write' && rand() < 0.5) img.set(p.data, p.offset);
  return img;
}

// Split virtqueue layout (virtio 1.2 §2.7): a descriptor table, a driver ("available") ring and
// a device ("used") ring, each at a guest-physical address with the alignment §2.7 requires.
//
//   Descriptor table  16 bytes × size           align 16   (§2.7.5)
//   Available ring    6 + 2 × size (+2 with EVENT_IDX: used_event)   align 2  (§2.7.6)
//   Used ring         6 + 8 × size (+2 with EVENT_IDX: avail_event)  align 4  (§2.7.8)

export const DESC_SIZE = 16;
export const MAX_QUEUE_SIZE = 32768;

/** Descriptor flags (§2.7.5). */
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;

/** Available ring flags (§2.7.6): the driver asks the device not to interrupt. */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** Used ring flags (§2.7.8): the device asks the driver not to notify. */
export const VIRTQ_USED_F_NO_NOTIFY = 1;

export interface SplitRingLayout {
  readonly size: number;
  readonly descAddress: number;
  readonly availAddress: number;
  readonly usedAddress: number;
}

export function isValidQueueSize(size: number): boolean {
  return Number.isInteger(size) && size >= 1 && size <= MAX_QUEUE_SIZE && (size & (size - 1)) === 0;
}

export function descTableBytes(size: number): number {
  return DESC_SIZE * size;
}

export function availRingBytes(size: number): number {
  return 6 + 2 * size;
}

export function usedRingBytes(size: number): number {
  return 6 + 8 * size;
}

/** Bytes needed to place all three parts contiguously (desc | avail | pad to 4 | used). */
export function splitRingBytes(size: number): number {
  const usedOffset = align(descTableBytes(size) + availRingBytes(size), 4);
  return usedOffset + usedRingBytes(size);
}

/** The layout of a queue placed contiguously at `base` (which must be 16-byte aligned). */
export function contiguousLayout(base: number, size: number): SplitRingLayout {
  if (!isValidQueueSize(size)) throw new RangeError(`invalid queue size ${size}`);
  if (base % 16 !== 0) throw new RangeError(`descriptor table must be 16-byte aligned: 0x${base.toString(16)}`);
  const availAddress = base + descTableBytes(size);
  const usedAddress = align(availAddress + availRingBytes(size), 4);
  return { size, descAddress: base, availAddress, usedAddress };
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * Ring indices are free-running 16-bit counters (§2.7.6, §2.7.8): the slot is index mod size,
 * and the number of entries between two indices is their difference mod 2^16.
 */
export function ringDistance(newer: number, older: number): number {
  return (newer - older) & 0xffff;
}

/**
 * §2.7.7.2 / §2.7.10: with VIRTIO_F_EVENT_IDX, notify when the event index lies in the
 * half-open window (old, new] of indices just published.
 */
export function needEvent(eventIdx: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - eventIdx - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}

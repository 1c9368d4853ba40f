// Vdev labels (reference §1): four 256 KiB copies, two at each end of a leaf device, each holding
// the XDR config nvlist (self-checksummed, 112 KiB) and the uberblock ring (128 KiB).
import { formatError } from './bytes.js';
import { sealEmbedded, verifyEmbedded, ZEC_SIZE } from './embedded-checksum.js';
import { decodeNvList, encodeNvList, type NvList } from './nvlist.js';
import { decodeUberblock, encodeUberblock, type Uberblock, type UberblockFields } from './uberblock.js';

export const LABEL_SIZE = 256 * 1024;
export const LABEL_COUNT = 4;
export const VDEV_PHYS_OFFSET = 16 * 1024;
export const VDEV_PHYS_SIZE = 112 * 1024;
export const UBERBLOCK_RING_OFFSET = 128 * 1024;
export const UBERBLOCK_RING_SIZE = 128 * 1024;
/** Allocatable space starts after L0, L1 and the boot block region. */
export const VDEV_LABEL_START_SIZE = 4 * 1024 * 1024;
export const VDEV_LABEL_END_SIZE = 2 * LABEL_SIZE;

/** Device size usable by labels: rounded down to a label multiple. */
export function labelPsize(deviceBytes: number): number {
  return Math.floor(deviceBytes / LABEL_SIZE) * LABEL_SIZE;
}

export function labelOffset(l: number, psize: number): number {
  return l < 2 ? l * LABEL_SIZE : psize - LABEL_COUNT * LABEL_SIZE + l * LABEL_SIZE;
}

/** Uberblock slot size for a top-level vdev of `ashift` (UBERBLOCK_SHIFT = 10 minimum). */
export function uberblockSlotSize(ashift: number): number {
  return 1 << Math.max(ashift, 10);
}

export interface LabelUberblock extends Uberblock {
  readonly label: number;
  readonly slot: number;
}

/** Decodes the config nvlist of one label; null if its checksum does not verify. */
export function decodeLabelConfig(label: Uint8Array, labelDevOffset: number): NvList | null {
  if (label.length !== LABEL_SIZE) throw formatError('label', 0, `label must be ${LABEL_SIZE} bytes`);
  const phys = label.subarray(VDEV_PHYS_OFFSET, VDEV_PHYS_OFFSET + VDEV_PHYS_SIZE);
  if (!verifyEmbedded(phys, [BigInt(labelDevOffset + VDEV_PHYS_OFFSET), 0n, 0n, 0n])) return null;
  return decodeNvList(phys, 0, VDEV_PHYS_SIZE - ZEC_SIZE);
}

/** Every slot of the ring whose checksum verifies and whose magic matches. */
export function decodeUberblockRing(
  label: Uint8Array,
  labelIndex: number,
  labelDevOffset: number,
  ashift: number,
): LabelUberblock[] {
  const slotSize = uberblockSlotSize(ashift);
  const out: LabelUberblock[] = [];
  for (let slot = 0; slot < UBERBLOCK_RING_SIZE / slotSize; slot++) {
    const at = UBERBLOCK_RING_OFFSET + slot * slotSize;
    const region = label.subarray(at, at + slotSize);
    // Magic first: most slots of a young pool (and every slot of a non-ZFS device) are empty,
    // and the slot's SHA-256 costs far more than an 8-byte compare.
    const ub = decodeUberblock(region);
    if (ub === null) continue;
    if (!verifyEmbedded(region, [BigInt(labelDevOffset + at), 0n, 0n, 0n])) continue;
    out.push({ ...ub, label: labelIndex, slot });
  }
  return out;
}

/** Builds the 112 KiB nvlist region of a label for its position on the device. */
export function encodeLabelConfig(config: NvList, labelDevOffset: number): Uint8Array {
  const phys = new Uint8Array(VDEV_PHYS_SIZE);
  const nv = encodeNvList(config);
  if (nv.length > VDEV_PHYS_SIZE - ZEC_SIZE)
    throw formatError('label.nvlist', 0, `config of ${nv.length} bytes does not fit`);
  phys.set(nv);
  sealEmbedded(phys, [BigInt(labelDevOffset + VDEV_PHYS_OFFSET), 0n, 0n, 0n]);
  return phys;
}

/** Builds one uberblock slot for (label at `labelDevOffset`, slot for `ub.txg`). */
export function encodeUberblockSlot(
  ub: UberblockFields,
  labelDevOffset: number,
  ashift: number,
): { offsetInLabel: number; bytes: Uint8Array } {
  const slotSize = uberblockSlotSize(ashift);
  const slots = UBERBLOCK_RING_SIZE / slotSize;
  const offsetInLabel = UBERBLOCK_RING_OFFSET + (ub.txg % slots) * slotSize;
  const bytes = new Uint8Array(slotSize);
  encodeUberblock(bytes, 0, ub);
  sealEmbedded(bytes, [BigInt(labelDevOffset + offsetInLabel), 0n, 0n, 0n]);
  return { offsetInLabel, bytes };
}

// dnode_phys_t (512 bytes per slot, reference §6.2): an object's type, geometry, block pointers
// and bonus buffer.
import { formatError, need, putU16, putU64, viewOf } from './bytes.js';
import { BLKPTR_SIZE, decodeBlkptr, type Blkptr } from './blkptr.js';

export const DNODE_SIZE = 512;
export const DNODE_SHIFT = 9;
export const DN_BONUS_OFFSET = 64;
export const DN_MAX_BONUSLEN = 320;
export const DNODE_FLAG_USED_BYTES = 1;
export const DNODE_FLAG_USERUSED_ACCOUNTED = 2;
export const DNODE_FLAG_SPILL_BLKPTR = 4;

export interface Dnode {
  readonly type: number;
  readonly indblkshift: number;
  readonly nlevels: number;
  readonly nblkptr: number;
  readonly bonustype: number;
  readonly checksum: number;
  readonly compress: number;
  readonly flags: number;
  readonly datablkszsec: number;
  readonly bonuslen: number;
  /** OpenZFS large_dnode: extra 512-byte slots this dnode spans. */
  readonly extraSlots: number;
  readonly maxblkid: number;
  readonly used: number;
  readonly blkptr: readonly Blkptr[];
  readonly spill: Blkptr | null;
  readonly bonus: Uint8Array;
  readonly littleEndian: boolean;
}

export function dataBlockSize(dn: Dnode): number {
  return dn.datablkszsec * 512;
}

/**
 * Decodes the dnode at `offset`; `buf` must hold all of its slots (1 + extraSlots).
 * Returns type 0 (DMU_OT_NONE) dnodes too; callers check `type`.
 */
export function decodeDnode(buf: Uint8Array, offset: number, le: boolean): Dnode {
  need(buf, offset, DNODE_SIZE, 'dnode');
  const v = viewOf(buf);
  const type = buf[offset]!;
  const indblkshift = buf[offset + 1]!;
  const nlevels = buf[offset + 2]!;
  const nblkptr = buf[offset + 3]!;
  const bonustype = buf[offset + 4]!;
  const flags = buf[offset + 7]!;
  const extraSlots = buf[offset + 12]!;
  const size = DNODE_SIZE * (1 + extraSlots);
  need(buf, offset, size, 'dnode.dn_extra_slots');
  const bonuslen = v.getUint16(offset + 10, le);
  const spillSlot = (flags & DNODE_FLAG_SPILL_BLKPTR) !== 0 ? 1 : 0;
  const maxBonus = size - DN_BONUS_OFFSET - nblkptr * BLKPTR_SIZE - spillSlot * BLKPTR_SIZE;
  if (type !== 0) {
    if (nblkptr < 1 || DN_BONUS_OFFSET + nblkptr * BLKPTR_SIZE > size)
      throw formatError('dnode.dn_nblkptr', offset + 3, `bad nblkptr ${nblkptr}`);
    if (bonuslen > maxBonus) throw formatError('dnode.dn_bonuslen', offset + 10, `bonuslen ${bonuslen} > ${maxBonus}`);
    if (indblkshift !== 0 && (indblkshift < 10 || indblkshift > 17)) {
      throw formatError('dnode.dn_indblkshift', offset + 1, `bad indblkshift ${indblkshift}`);
    }
    if (nlevels < 1 || nlevels > 15) throw formatError('dnode.dn_nlevels', offset + 2, `bad nlevels ${nlevels}`);
  }
  const blkptr: Blkptr[] = [];
  if (type !== 0)
    for (let i = 0; i < nblkptr; i++) blkptr.push(decodeBlkptr(buf, offset + DN_BONUS_OFFSET + i * BLKPTR_SIZE, le));
  const bonusStart = offset + DN_BONUS_OFFSET + nblkptr * BLKPTR_SIZE;
  const spill = type !== 0 && spillSlot ? decodeBlkptr(buf, offset + size - BLKPTR_SIZE, le) : null;
  return {
    type,
    indblkshift,
    nlevels,
    nblkptr,
    bonustype,
    checksum: buf[offset + 5]!,
    compress: buf[offset + 6]!,
    flags,
    datablkszsec: v.getUint16(offset + 8, le),
    bonuslen,
    extraSlots,
    maxblkid: Number(v.getBigUint64(offset + 16, le)),
    used: Number(v.getBigUint64(offset + 24, le)),
    blkptr,
    spill,
    bonus: type === 0 ? new Uint8Array(0) : buf.slice(bonusStart, bonusStart + bonuslen),
    littleEndian: le,
  };
}

export interface DnodeHeaderFields {
  type: number;
  indblkshift: number;
  nlevels: number;
  nblkptr: number;
  bonustype: number;
  checksum?: number;
  compress?: number;
  flags: number;
  datablkszsec: number;
  bonuslen: number;
  maxblkid: number;
  used: number;
}

/** Writes the 64-byte dnode header (little-endian); blkptrs and bonus are written by the caller. */
export function encodeDnodeHeader(buf: Uint8Array, offset: number, h: DnodeHeaderFields): void {
  need(buf, offset, DNODE_SIZE, 'dnode');
  buf.fill(0, offset, offset + DN_BONUS_OFFSET);
  buf[offset] = h.type;
  buf[offset + 1] = h.indblkshift;
  buf[offset + 2] = h.nlevels;
  buf[offset + 3] = h.nblkptr;
  buf[offset + 4] = h.bonustype;
  buf[offset + 5] = h.checksum ?? 0;
  buf[offset + 6] = h.compress ?? 0;
  buf[offset + 7] = h.flags;
  putU16(buf, offset + 8, h.datablkszsec);
  putU16(buf, offset + 10, h.bonuslen);
  putU64(buf, offset + 16, h.maxblkid);
  putU64(buf, offset + 24, h.used);
}

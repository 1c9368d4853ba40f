// ZFS intent log detection (zil.c, zil_parse): the ZIL header's zh_log points at the first log
// block. The chain ends at the first block whose embedded checksum (verifier = the pointing
// blkptr's checksum) fails — usually the preallocated, never-written next block. A dataset whose
// first block verifies and carries records has acknowledged writes that are not in the tree.
import { isHole, type Blkptr } from '../format/blkptr.js';
import { viewOf } from '../format/bytes.js';
import { ZIO_CHECKSUM } from '../format/checksum.js';
import { ZEC_MAGIC } from '../format/embedded-checksum.js';
import { checksumEqual, fletcher2, fletcher4, type Checksum } from '../format/fletcher.js';
import type { ObjsetPhys } from '../format/objset.js';
import type { BlockReader } from '../pool/block-reader.js';

const ZIL_CHAIN_SIZE = 184; // zc_pad, zc_next_blk, zc_nused, zc_eck (slim ZIL, SPA ≥ 23)
const ZIL_MIN_BLKSZ = 4096;

function verifyLogBlock(bp: Blkptr, data: Uint8Array): { valid: boolean; nused: number } {
  const v = viewOf(data);
  const le = bp.littleEndian;
  let eckAt: number;
  let size: number;
  let nused: number;
  if (bp.checksumType === ZIO_CHECKSUM.ZILOG2) {
    if (data.length < ZIL_CHAIN_SIZE) return { valid: false, nused: 0 };
    nused = Number(v.getBigUint64(136, le));
    size = Math.ceil(nused / ZIL_MIN_BLKSZ) * ZIL_MIN_BLKSZ;
    eckAt = 144;
    if (nused < ZIL_CHAIN_SIZE || size > data.length) return { valid: false, nused: 0 };
  } else if (bp.checksumType === ZIO_CHECKSUM.ZILOG) {
    size = data.length;
    eckAt = size - 40;
    nused = Number(v.getBigUint64(size - 48, le));
    if (nused > size) return { valid: false, nused: 0 };
  } else {
    return { valid: false, nused: 0 };
  }
  if (v.getBigUint64(eckAt, le) !== ZEC_MAGIC) return { valid: false, nused: 0 };
  const copy = data.slice(0, size);
  const cv = viewOf(copy);
  const stored: Checksum = [
    cv.getBigUint64(eckAt + 8, le),
    cv.getBigUint64(eckAt + 16, le),
    cv.getBigUint64(eckAt + 24, le),
    cv.getBigUint64(eckAt + 32, le),
  ];
  for (let i = 0; i < 4; i++) cv.setBigUint64(eckAt + 8 + i * 8, bp.checksum[i]!, le);
  const sum = bp.checksumType === ZIO_CHECKSUM.ZILOG2 ? fletcher4(copy, le) : fletcher2(copy, le);
  return { valid: checksumEqual(sum, stored), nused };
}

/** True when the objset's intent log holds at least one record that a mount must replay. */
export function zilHasRecords(reader: BlockReader, os: ObjsetPhys): boolean {
  const bp = os.zilLog;
  if (isHole(bp) || bp.birth === 0) return false;
  for (const dva of bp.dva) {
    if (dva.asize === 0) continue;
    const vdev = reader.vdevs.get(dva.vdev);
    if (!vdev) continue;
    let data: Uint8Array;
    try {
      data = vdev.read(dva.offset, bp.psize);
    } catch {
      continue;
    }
    const r = verifyLogBlock(bp, data);
    if (r.valid) return bp.checksumType === ZIO_CHECKSUM.ZILOG2 ? r.nused > ZIL_CHAIN_SIZE : r.nused > 0;
  }
  return false;
}

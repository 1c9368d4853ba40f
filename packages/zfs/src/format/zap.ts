// ZAP block layouts (reference §7): microZAP blocks, the fat-ZAP header with its pointer table,
// and fat-ZAP leaves with their 24-byte chunks. Layout and validation only; the walk over an
// object's blocks lives in zap/zap-reader.ts.
import { formatError, need, putU32, putU64, u16, u32, u64, u64n, viewOf } from './bytes.js';

export const ZBT_LEAF = (1n << 63n) + 0n;
export const ZBT_HEADER = (1n << 63n) + 1n;
export const ZBT_MICRO = (1n << 63n) + 3n;
export const ZAP_MAGIC = 0x2f52ab2abn;
export const ZAP_LEAF_MAGIC = 0x2ab1eaf;
export const MZAP_ENT_LEN = 64;
export const MZAP_NAME_LEN = 50;
export const ZAP_LEAF_CHUNKSIZE = 24;
export const ZAP_LEAF_ARRAY_BYTES = 21;
export const CHAIN_END = 0xffff;
export const ZAP_CHUNK_ENTRY = 252;
export const ZAP_CHUNK_ARRAY = 251;
export const ZAP_CHUNK_FREE = 253;
export const ZAP_FLAG_HASH64 = 1n;
export const ZAP_FLAG_UINT64_KEY = 2n;

export interface MzapEntry {
  readonly value: bigint;
  readonly cd: number;
  readonly name: string;
  readonly chunk: number;
}

const utf8 = new TextDecoder();

export function decodeMicroZap(
  block: Uint8Array,
  le: boolean,
): { salt: bigint; normflags: bigint; entries: MzapEntry[] } {
  need(block, 0, MZAP_ENT_LEN, 'mzap_phys');
  const salt = u64(block, 8, le, 'mzap.mz_salt');
  const normflags = u64(block, 16, le, 'mzap.mz_normflags');
  const entries: MzapEntry[] = [];
  const n = Math.floor(block.length / MZAP_ENT_LEN) - 1;
  for (let i = 0; i < n; i++) {
    const at = MZAP_ENT_LEN * (i + 1);
    if (block[at + 14] === 0) continue;
    let end = at + 14;
    while (end < at + 14 + MZAP_NAME_LEN && block[end] !== 0) end++;
    if (end === at + 14 + MZAP_NAME_LEN) throw formatError('mzap_ent.mze_name', at + 14, 'name not NUL-terminated');
    entries.push({
      value: u64(block, at, le, 'mzap_ent.mze_value'),
      cd: u32(block, at + 8, le, 'mzap_ent.mze_cd'),
      name: utf8.decode(block.subarray(at + 14, end)),
      chunk: i,
    });
  }
  return { salt, normflags, entries };
}

export function encodeMicroZapHeader(block: Uint8Array, salt: bigint, normflags = 0n): void {
  block.fill(0, 0, MZAP_ENT_LEN);
  putU64(block, 0, ZBT_MICRO);
  putU64(block, 8, salt);
  putU64(block, 16, normflags);
}

export function encodeMicroZapEntry(
  block: Uint8Array,
  chunk: number,
  name: Uint8Array,
  value: bigint,
  cd: number,
): void {
  const at = MZAP_ENT_LEN * (chunk + 1);
  block.fill(0, at, at + MZAP_ENT_LEN);
  putU64(block, at, value);
  putU32(block, at + 8, cd);
  block.set(name, at + 14);
}

export interface ZapHeader {
  readonly ptrtblBlk: number;
  readonly ptrtblNumblks: number;
  readonly ptrtblShift: number;
  readonly ptrtblNextblk: number;
  readonly ptrtblBlksCopied: number;
  readonly freeblk: number;
  readonly numLeafs: number;
  readonly numEntries: number;
  readonly salt: bigint;
  readonly normflags: bigint;
  readonly flags: bigint;
}

export function decodeZapHeader(block: Uint8Array, le: boolean): ZapHeader {
  if (u64(block, 8, le, 'zap_phys.zap_magic') !== ZAP_MAGIC) throw formatError('zap_phys.zap_magic', 8, 'bad magic');
  const h: ZapHeader = {
    ptrtblBlk: u64n(block, 16, le, 'zap_phys.zt_blk'),
    ptrtblNumblks: u64n(block, 24, le, 'zap_phys.zt_numblks'),
    ptrtblShift: u64n(block, 32, le, 'zap_phys.zt_shift'),
    ptrtblNextblk: u64n(block, 40, le, 'zap_phys.zt_nextblk'),
    ptrtblBlksCopied: u64n(block, 48, le, 'zap_phys.zt_blks_copied'),
    freeblk: u64n(block, 56, le, 'zap_phys.zap_freeblk'),
    numLeafs: u64n(block, 64, le, 'zap_phys.zap_num_leafs'),
    numEntries: u64n(block, 72, le, 'zap_phys.zap_num_entries'),
    salt: u64(block, 80, le, 'zap_phys.zap_salt'),
    normflags: u64(block, 88, le, 'zap_phys.zap_normflags'),
    flags: u64(block, 96, le, 'zap_phys.zap_flags'),
  };
  if (h.ptrtblShift > 48) throw formatError('zap_phys.zt_shift', 32, `shift ${h.ptrtblShift} too large`);
  return h;
}

export function encodeZapHeader(block: Uint8Array, h: ZapHeader): void {
  putU64(block, 0, ZBT_HEADER);
  putU64(block, 8, ZAP_MAGIC);
  putU64(block, 16, h.ptrtblBlk);
  putU64(block, 24, h.ptrtblNumblks);
  putU64(block, 32, h.ptrtblShift);
  putU64(block, 40, h.ptrtblNextblk);
  putU64(block, 48, h.ptrtblBlksCopied);
  putU64(block, 56, h.freeblk);
  putU64(block, 64, h.numLeafs);
  putU64(block, 72, h.numEntries);
  putU64(block, 80, h.salt);
  putU64(block, 88, h.normflags);
  putU64(block, 96, h.flags);
}

/** Geometry of a fat-ZAP leaf of 2^bs bytes. */
export function leafGeometry(blockSize: number): { hashEntries: number; chunkStart: number; numChunks: number } {
  const hashEntries = blockSize / 32;
  const chunkStart = 48 + 2 * hashEntries;
  return { hashEntries, chunkStart, numChunks: Math.floor((blockSize - 2 * hashEntries) / ZAP_LEAF_CHUNKSIZE) - 2 };
}

export interface LeafHeader {
  readonly prefix: bigint;
  readonly prefixLen: number;
  readonly nfree: number;
  readonly nentries: number;
  readonly freelist: number;
  readonly flags: number;
}

export interface LeafEntry {
  readonly chunk: number;
  readonly intLen: number;
  readonly next: number;
  readonly nameChunk: number;
  readonly nameNumInts: number;
  readonly valueChunk: number;
  readonly valueNumInts: number;
  readonly cd: number;
  readonly hash: bigint;
}

export function decodeLeafHeader(block: Uint8Array, le: boolean): LeafHeader {
  if (u64(block, 0, le, 'zap_leaf.lh_block_type') !== ZBT_LEAF)
    throw formatError('zap_leaf.lh_block_type', 0, 'not a leaf');
  if (u32(block, 24, le, 'zap_leaf.lh_magic') !== ZAP_LEAF_MAGIC)
    throw formatError('zap_leaf.lh_magic', 24, 'bad magic');
  return {
    prefix: u64(block, 16, le, 'zap_leaf.lh_prefix'),
    nfree: u16(block, 28, le, 'zap_leaf.lh_nfree'),
    nentries: u16(block, 30, le, 'zap_leaf.lh_nentries'),
    prefixLen: u16(block, 32, le, 'zap_leaf.lh_prefix_len'),
    freelist: u16(block, 34, le, 'zap_leaf.lh_freelist'),
    flags: block[36]!,
  };
}

function chunkOffset(block: Uint8Array, chunk: number, field: string): number {
  const g = leafGeometry(block.length);
  if (chunk >= g.numChunks) throw formatError(field, 0, `chunk ${chunk} beyond ${g.numChunks}`);
  return g.chunkStart + chunk * ZAP_LEAF_CHUNKSIZE;
}

export function decodeLeafEntry(block: Uint8Array, chunk: number, le: boolean): LeafEntry {
  const at = chunkOffset(block, chunk, 'zap_leaf.entry');
  if (block[at] !== ZAP_CHUNK_ENTRY) throw formatError('zap_leaf_entry.le_type', at, `chunk ${chunk} is not an entry`);
  return {
    chunk,
    intLen: block[at + 1]!,
    next: u16(block, at + 2, le, 'le_next'),
    nameChunk: u16(block, at + 4, le, 'le_name_chunk'),
    nameNumInts: u16(block, at + 6, le, 'le_name_numints'),
    valueChunk: u16(block, at + 8, le, 'le_value_chunk'),
    valueNumInts: u16(block, at + 10, le, 'le_value_numints'),
    cd: u32(block, at + 12, le, 'le_cd'),
    hash: u64(block, at + 16, le, 'le_hash'),
  };
}

/** Reads `length` bytes of an array chain starting at `chunk` (big-endian byte stream). */
export function readLeafArray(block: Uint8Array, chunk: number, length: number, le: boolean): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  let c = chunk;
  let hops = 0;
  while (done < length) {
    if (c === CHAIN_END) throw formatError('zap_leaf_array.la_next', 0, 'array chain ends early');
    const at = chunkOffset(block, c, 'zap_leaf.array');
    if (block[at] !== ZAP_CHUNK_ARRAY) throw formatError('zap_leaf_array.la_type', at, `chunk ${c} is not an array`);
    const n = Math.min(ZAP_LEAF_ARRAY_BYTES, length - done);
    out.set(block.subarray(at + 1, at + 1 + n), done);
    done += n;
    c = u16(block, at + 22, le, 'la_next');
    if (++hops > 0x10000) throw formatError('zap_leaf_array.la_next', at, 'chain loops');
  }
  return out;
}

/** Index of the first entry chunk in hash bucket `bucket` (0xffff = empty). */
export function leafBucket(block: Uint8Array, bucket: number, le: boolean): number {
  return u16(block, 48 + bucket * 2, le, 'zap_leaf.l_hash');
}

export function leafHashBucket(hash: bigint, blockSize: number, prefixLen: number): number {
  const shift = Math.log2(blockSize) - 5;
  return Number((hash >> BigInt(64 - shift - prefixLen)) & ((1n << BigInt(shift)) - 1n));
}

/** Big-endian integer array bytes → bigint values of `intLen` bytes each. */
export function decodeZapInts(bytes: Uint8Array, intLen: number): bigint[] {
  const out: bigint[] = [];
  const v = viewOf(bytes);
  for (let i = 0; i + intLen <= bytes.length; i += intLen) {
    switch (intLen) {
      case 1:
        out.push(BigInt(bytes[i]!));
        break;
      case 2:
        out.push(BigInt(v.getUint16(i, false)));
        break;
      case 4:
        out.push(BigInt(v.getUint32(i, false)));
        break;
      case 8:
        out.push(v.getBigUint64(i, false));
        break;
      default:
        throw formatError('zap_leaf_entry.le_value_intlen', 0, `bad intlen ${intLen}`);
    }
  }
  return out;
}

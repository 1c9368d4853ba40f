// Building ZAP objects in one go (zap_micro.c / zap.c layouts, reference §7): a microZAP when
// every value is one u64 and every name is short enough, else a fat ZAP whose leaves are split
// by hash prefix so each fits one 16 KiB leaf block, with the pointer table embedded in block 0.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { putU16, putU32, putU64 } from '../format/bytes.js';
import {
  CHAIN_END,
  encodeMicroZapEntry,
  encodeMicroZapHeader,
  encodeZapHeader,
  leafGeometry,
  leafHashBucket,
  MZAP_ENT_LEN,
  MZAP_NAME_LEN,
  ZAP_CHUNK_ARRAY,
  ZAP_CHUNK_ENTRY,
  ZAP_CHUNK_FREE,
  ZAP_LEAF_ARRAY_BYTES,
  ZAP_LEAF_MAGIC,
  ZBT_LEAF,
} from '../format/zap.js';
import { zapHash } from '../format/zap-hash.js';

export interface ZapInput {
  name: string;
  /** One u64, an array of u64s, or a string (stored as bytes with a NUL). */
  value: bigint | bigint[] | string;
}

export const FAT_ZAP_BLOCK_SIZE = 16384;
const MZAP_MAX_BLKSZ = 128 * 1024;
const utf8 = new TextEncoder();

export interface BuiltZap {
  data: Uint8Array;
  blockSize: number;
}

function isMicro(entries: ZapInput[]): boolean {
  return (
    entries.every((e) => typeof e.value === 'bigint' && utf8.encode(e.name).length < MZAP_NAME_LEN) &&
    (entries.length + 1) * MZAP_ENT_LEN <= MZAP_MAX_BLKSZ
  );
}

/**
 * What a rebuilt ZAP must keep of the one it replaces: zfs never turns a fat ZAP back into a
 * microZAP, nor shrinks a microZAP's block (zap_micro.c only grows it).
 */
export interface ZapShape {
  fat?: boolean;
  microBlockSize?: number;
}

export function buildZap(entries: ZapInput[], salt: bigint, shape: ZapShape = {}): BuiltZap {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new KernelError(Errno.EEXIST, `duplicate ZAP name ${e.name}`);
    seen.add(e.name);
  }
  return !shape.fat && isMicro(entries)
    ? buildMicro(entries, salt, shape.microBlockSize ?? 512)
    : buildFat(entries, salt);
}

function buildMicro(entries: ZapInput[], salt: bigint, minBlockSize: number): BuiltZap {
  // zfs-fuse grows a microZAP in 512-byte steps; start at 512 and size to fit.
  const fit = Math.ceil(((entries.length + 1) * MZAP_ENT_LEN) / 512) * 512;
  const blockSize = Math.min(MZAP_MAX_BLKSZ, Math.max(512, minBlockSize, fit));
  const block = new Uint8Array(blockSize);
  encodeMicroZapHeader(block, salt);
  entries.forEach((e, i) => encodeMicroZapEntry(block, i, utf8.encode(e.name), e.value as bigint, 0));
  return { data: block, blockSize };
}

interface Prepared {
  name: Uint8Array;
  intLen: number;
  valueBytes: Uint8Array;
  numInts: number;
  hash: bigint;
  cd: number;
}

function prepare(e: ZapInput, salt: bigint): Prepared {
  const name = utf8.encode(e.name);
  let intLen: number;
  let valueBytes: Uint8Array;
  if (typeof e.value === 'string') {
    const s = utf8.encode(e.value);
    valueBytes = new Uint8Array(s.length + 1);
    valueBytes.set(s);
    intLen = 1;
  } else {
    const vals = typeof e.value === 'bigint' ? [e.value] : e.value;
    valueBytes = new Uint8Array(vals.length * 8);
    const dv = new DataView(valueBytes.buffer);
    vals.forEach((v, i) => dv.setBigUint64(i * 8, v, false)); // leaf arrays are big-endian
    intLen = 8;
  }
  return { name, intLen, valueBytes, numInts: valueBytes.length / intLen, hash: zapHash(salt, name), cd: 0 };
}

function chunksFor(p: Prepared): number {
  return (
    1 + Math.ceil((p.name.length + 1) / ZAP_LEAF_ARRAY_BYTES) + Math.ceil(p.valueBytes.length / ZAP_LEAF_ARRAY_BYTES)
  );
}

function buildFat(entries: ZapInput[], salt: bigint): BuiltZap {
  const bs = FAT_ZAP_BLOCK_SIZE;
  const g = leafGeometry(bs);
  const ptrShift = Math.log2(bs) - 4; // embedded pointer table: 2^(bs-4) entries
  const prepared = entries.map((e) => prepare(e, salt));
  // Collision differentiators: equal hashes get cd 0, 1, 2, ...
  const byHash = new Map<bigint, number>();
  for (const p of prepared) {
    const n = byHash.get(p.hash) ?? 0;
    p.cd = n;
    byHash.set(p.hash, n + 1);
  }
  // Smallest prefix length whose leaves all fit.
  let prefixLen = 0;
  let groups: Prepared[][] = [];
  for (; prefixLen <= ptrShift; prefixLen++) {
    groups = Array.from({ length: 2 ** prefixLen }, () => []);
    for (const p of prepared) groups[prefixLen === 0 ? 0 : Number(p.hash >> BigInt(64 - prefixLen))]!.push(p);
    if (groups.every((grp) => grp.reduce((a, p) => a + chunksFor(p), 0) <= g.numChunks)) break;
  }
  if (prefixLen > ptrShift)
    throw new KernelError(Errno.ENOSPC, `ZAP of ${entries.length} entries needs an external pointer table`);
  const nleaves = groups.length;
  const out = new Uint8Array(bs * (1 + nleaves));
  const header = out.subarray(0, bs);
  encodeZapHeader(header, {
    ptrtblBlk: 0,
    ptrtblNumblks: 0,
    ptrtblShift: ptrShift,
    ptrtblNextblk: 0,
    ptrtblBlksCopied: 0,
    freeblk: 1 + nleaves,
    numLeafs: nleaves,
    numEntries: entries.length,
    salt,
    normflags: 0n,
    flags: 0n,
  });
  const per = 2 ** (ptrShift - prefixLen);
  for (let i = 0; i < 2 ** ptrShift; i++) putU64(header, bs / 2 + i * 8, 1 + Math.floor(i / per));
  groups.forEach((grp, li) => writeLeaf(out.subarray(bs * (1 + li), bs * (2 + li)), grp, BigInt(li), prefixLen));
  return { data: out, blockSize: bs };
}

function writeLeaf(leaf: Uint8Array, entries: Prepared[], prefix: bigint, prefixLen: number): void {
  const g = leafGeometry(leaf.length);
  putU64(leaf, 0, ZBT_LEAF);
  putU64(leaf, 16, prefix);
  putU32(leaf, 24, ZAP_LEAF_MAGIC);
  putU16(leaf, 32, prefixLen);
  for (let b = 0; b < g.hashEntries; b++) putU16(leaf, 48 + b * 2, CHAIN_END);
  let next = 0;
  const chunkAt = (c: number): number => g.chunkStart + c * 24;
  const writeArray = (bytes: Uint8Array): number => {
    const first = next;
    const n = Math.max(1, Math.ceil(bytes.length / ZAP_LEAF_ARRAY_BYTES));
    for (let k = 0; k < n; k++) {
      const c = next++;
      const at = chunkAt(c);
      leaf[at] = ZAP_CHUNK_ARRAY;
      leaf.set(bytes.subarray(k * ZAP_LEAF_ARRAY_BYTES, (k + 1) * ZAP_LEAF_ARRAY_BYTES), at + 1);
      putU16(leaf, at + 22, k === n - 1 ? CHAIN_END : c + 1);
    }
    return first;
  };
  for (const p of entries) {
    const ec = next++;
    const nameZ = new Uint8Array(p.name.length + 1);
    nameZ.set(p.name);
    const nameChunk = writeArray(nameZ);
    const valueChunk = writeArray(p.valueBytes);
    const at = chunkAt(ec);
    leaf[at] = ZAP_CHUNK_ENTRY;
    leaf[at + 1] = p.intLen;
    const bucket = leafHashBucket(p.hash, leaf.length, prefixLen);
    // Chain: new entries go to the head of their bucket.
    putU16(leaf, at + 2, leaf[48 + bucket * 2]! | (leaf[49 + bucket * 2]! << 8));
    putU16(leaf, 48 + bucket * 2, ec);
    putU16(leaf, at + 4, nameChunk);
    putU16(leaf, at + 6, nameZ.length);
    putU16(leaf, at + 8, valueChunk);
    putU16(leaf, at + 10, p.numInts);
    putU32(leaf, at + 12, p.cd);
    putU64(leaf, at + 16, p.hash);
  }
  // Remaining chunks form the free list.
  const nfree = g.numChunks - next;
  for (let c = next; c < g.numChunks; c++) {
    const at = chunkAt(c);
    leaf[at] = ZAP_CHUNK_FREE;
    putU16(leaf, at + 22, c + 1 < g.numChunks ? c + 1 : CHAIN_END);
  }
  putU16(leaf, 28, nfree);
  putU16(leaf, 30, entries.length);
  putU16(leaf, 34, nfree > 0 ? next : CHAIN_END);
}

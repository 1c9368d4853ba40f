// Reading ZAP objects (zap_micro.c / zap.c / zap_leaf.c read side), reference §7: lookup by
// hash through the pointer table and leaf bucket chains, and listing of every entry.
import { Errno, FormatError, KernelError } from '@osv-ts/kernel-api';
import { dataBlockSize, type Dnode } from '../format/dnode.js';
import { u64, u64n } from '../format/bytes.js';
import {
  CHAIN_END,
  decodeLeafEntry,
  decodeLeafHeader,
  decodeMicroZap,
  decodeZapHeader,
  decodeZapInts,
  leafBucket,
  leafGeometry,
  leafHashBucket,
  readLeafArray,
  ZAP_CHUNK_ENTRY,
  ZAP_FLAG_HASH64,
  ZAP_FLAG_UINT64_KEY,
  ZBT_HEADER,
  ZBT_MICRO,
  type LeafEntry,
  type ZapHeader,
} from '../format/zap.js';
import { zapHash, ZAP_HASHBITS, ZAP_HASHBITS_64 } from '../format/zap-hash.js';
import type { ObjectSet } from '../dmu/objset.js';

export interface ZapEntry {
  readonly name: string;
  /** Bytes per integer of the value (8 for u64 values, 1 for strings). */
  readonly intLen: number;
  readonly values: readonly bigint[];
  readonly hash: bigint;
  readonly cd: number;
}

const utf8 = new TextDecoder();
const utf8enc = new TextEncoder();

export function zapValueString(e: ZapEntry): string {
  const bytes = Uint8Array.from(e.values.map((v) => Number(v)));
  const nul = bytes.indexOf(0);
  return utf8.decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
}

function io(e: unknown, what: string): never {
  if (e instanceof FormatError) throw new KernelError(Errno.EIO, `${what}: ${e.message}`);
  throw e;
}

export class ZapReader {
  private readonly block0: Uint8Array;
  private readonly le: boolean;
  readonly kind: 'micro' | 'fat';
  readonly header?: ZapHeader;

  constructor(
    readonly os: ObjectSet,
    readonly dn: Dnode,
    readonly obj = 0,
  ) {
    const b = os.block(dn, 0);
    if (b === null) throw new KernelError(Errno.EIO, `ZAP object ${obj} has no block 0`);
    this.block0 = b.data;
    this.le = b.le;
    try {
      const kind = u64(b.data, 0, b.le, 'zap.block_type');
      if (kind === ZBT_MICRO) this.kind = 'micro';
      else if (kind === ZBT_HEADER) {
        this.kind = 'fat';
        this.header = decodeZapHeader(b.data, b.le);
      } else throw new KernelError(Errno.EIO, `object ${obj} is not a ZAP (block type ${kind.toString(16)})`);
    } catch (e) {
      io(e, `ZAP object ${obj}`);
    }
  }

  /** The hash salt (kept when a writer rebuilds the ZAP, so readdir cookies stay put). */
  get salt(): bigint {
    return this.kind === 'fat' ? this.header!.salt : decodeMicroZap(this.block0, this.le).salt;
  }

  /** Kind and microZAP block size, which a rebuild keeps (see buildZap). */
  get shape(): { fat: boolean; microBlockSize: number } {
    return { fat: this.kind === 'fat', microBlockSize: this.kind === 'micro' ? this.block0.length : 512 };
  }

  static open(os: ObjectSet, obj: number): ZapReader {
    return new ZapReader(os, os.object(obj), obj);
  }

  private get hashBits(): number {
    return this.header && (this.header.flags & ZAP_FLAG_HASH64) !== 0n ? ZAP_HASHBITS_64 : ZAP_HASHBITS;
  }

  /** All entries (order: micro by chunk, fat by leaf block then chunk). */
  entries(): ZapEntry[] {
    try {
      if (this.kind === 'micro') {
        const mz = decodeMicroZap(this.block0, this.le);
        return mz.entries.map((m) => ({
          name: m.name,
          intLen: 8,
          values: [m.value],
          cd: m.cd,
          hash: zapHash(mz.salt, utf8enc.encode(m.name)),
        }));
      }
      const out: ZapEntry[] = [];
      for (const leafBlk of this.leafBlocks()) {
        const leaf = this.os.block(this.dn, leafBlk);
        if (leaf === null) throw new KernelError(Errno.EIO, `ZAP ${this.obj}: leaf ${leafBlk} is a hole`);
        decodeLeafHeader(leaf.data, leaf.le);
        const g = leafGeometry(leaf.data.length);
        for (let c = 0; c < g.numChunks; c++) {
          if (leaf.data[g.chunkStart + c * 24] !== ZAP_CHUNK_ENTRY) continue;
          out.push(this.entryOf(leaf.data, decodeLeafEntry(leaf.data, c, leaf.le), leaf.le));
        }
      }
      return out;
    } catch (e) {
      io(e, `ZAP object ${this.obj}`);
    }
  }

  private entryOf(block: Uint8Array, le: LeafEntry, littleEndian: boolean): ZapEntry {
    const uintKey = this.header !== undefined && (this.header.flags & ZAP_FLAG_UINT64_KEY) !== 0n;
    const nameBytes = readLeafArray(block, le.nameChunk, uintKey ? le.nameNumInts * 8 : le.nameNumInts, littleEndian);
    const name = uintKey
      ? decodeZapInts(nameBytes, 8)
          .map((v) => v.toString(16))
          .join(',')
      : utf8.decode(nameBytes.subarray(0, Math.max(0, le.nameNumInts - 1)));
    if (![1, 2, 4, 8].includes(le.intLen))
      throw new KernelError(Errno.EIO, `ZAP ${this.obj}: bad value intlen ${le.intLen}`);
    const valueBytes = readLeafArray(block, le.valueChunk, le.valueNumInts * le.intLen, littleEndian);
    return { name, intLen: le.intLen, values: decodeZapInts(valueBytes, le.intLen), hash: le.hash, cd: le.cd };
  }

  /** Distinct leaf block ids, from the pointer table. */
  leafBlocks(): number[] {
    const h = this.header!;
    const n = 2 ** h.ptrtblShift;
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) seen.add(this.ptrtblEntry(i));
    return [...seen].sort((a, b) => a - b);
  }

  private ptrtblEntry(idx: number): number {
    const h = this.header!;
    const bs = dataBlockSize(this.dn);
    let blk: number;
    if (h.ptrtblNumblks === 0) {
      // Embedded table: the second half of block 0.
      const at = bs / 2 + idx * 8;
      if (at + 8 > this.block0.length)
        throw new KernelError(Errno.EIO, `ZAP ${this.obj}: pointer table index ${idx} outside block`);
      blk = u64n(this.block0, at, this.le, 'zap.ptrtbl');
    } else {
      const perBlock = bs / 8;
      const b = this.os.block(this.dn, h.ptrtblBlk + Math.floor(idx / perBlock));
      if (b === null) throw new KernelError(Errno.EIO, `ZAP ${this.obj}: pointer table block is a hole`);
      blk = u64n(b.data, (idx % perBlock) * 8, b.le, 'zap.ptrtbl');
    }
    if (blk === 0 || blk > this.dn.maxblkid)
      throw new KernelError(Errno.EIO, `ZAP ${this.obj}: pointer table entry ${idx} → bad block ${blk}`);
    return blk;
  }

  lookup(name: string): ZapEntry | undefined {
    try {
      if (this.kind === 'micro') {
        const mz = decodeMicroZap(this.block0, this.le);
        const m = mz.entries.find((e) => e.name === name);
        return m && { name, intLen: 8, values: [m.value], cd: m.cd, hash: zapHash(mz.salt, utf8enc.encode(name)) };
      }
      const h = this.header!;
      const hash = zapHash(h.salt, utf8enc.encode(name), this.hashBits);
      const idx = h.ptrtblShift === 0 ? 0 : Number(hash >> BigInt(64 - h.ptrtblShift));
      const leafBlk = this.ptrtblEntry(idx);
      const leaf = this.os.block(this.dn, leafBlk);
      if (leaf === null) throw new KernelError(Errno.EIO, `ZAP ${this.obj}: leaf ${leafBlk} is a hole`);
      const lh = decodeLeafHeader(leaf.data, leaf.le);
      let chunk = leafBucket(leaf.data, leafHashBucket(hash, leaf.data.length, lh.prefixLen), leaf.le);
      let hops = 0;
      while (chunk !== CHAIN_END) {
        const e = decodeLeafEntry(leaf.data, chunk, leaf.le);
        if (e.hash === hash) {
          const entry = this.entryOf(leaf.data, e, leaf.le);
          if (entry.name === name) return entry;
        }
        chunk = e.next;
        if (++hops > 0x10000) throw new KernelError(Errno.EIO, `ZAP ${this.obj}: bucket chain loops`);
      }
      return undefined;
    } catch (e) {
      io(e, `ZAP object ${this.obj}`);
    }
  }

  /** The single u64 value of `name`, or undefined. */
  lookupU64(name: string): bigint | undefined {
    const e = this.lookup(name);
    return e && e.values.length >= 1 && e.intLen === 8 ? e.values[0] : undefined;
  }

  lookupNumber(name: string): number | undefined {
    const v = this.lookupU64(name);
    return v === undefined ? undefined : Number(v);
  }
}

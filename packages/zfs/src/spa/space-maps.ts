// The pool's space maps (metaslab.c / space_map.c, v23, reference §8.5): loading every
// metaslab's map at open (replay of ALLOC/FREE entries, checked against smo_alloc), and
// appending each txg's activity — per metaslab a debug entry and the ALLOC runs, then a debug
// entry and the FREE runs, after the entries of earlier txgs. A metaslab never allocated from
// gets its space-map object, and its metaslab-array slot, on first use. Within one txg the tail
// is rewritten from the same base on every sync pass until it stops changing.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { putU64, viewOf } from '../format/bytes.js';
import {
  decodeSpaceMapEntries,
  decodeSpaceMapHeader,
  encodeSpaceMapHeader,
  encodeSpaceMapWords,
  SM_ALLOC,
  SM_FREE,
  spaceMapDataEntries,
  spaceMapDebugEntry,
  SPACE_MAP_OBJ_SIZE,
} from '../format/space-map.js';
import type { ObjsetWriter } from '../dmu/objset-writer.js';
import type { MetaslabAllocator } from './metaslab-allocator.js';
import { RangeSet } from './range-set.js';

const DMU_OT_SPACE_MAP = 8;
const DMU_OT_SPACE_MAP_HEADER = 7;
const SPACE_MAP_BLOCK = 4096;

export class SpaceMaps {
  private readonly objs: number[] = [];
  /** This txg: the tail last written per metaslab, and the map's size before the txg. */
  private written = new Map<number, string>();
  private baseSize = new Map<number, number>();

  constructor(
    private readonly mos: ObjsetWriter,
    private readonly arrayObj: number,
    private readonly shift: number,
    private readonly ashift: number,
    count: number,
  ) {
    const arr = mos.read(arrayObj, 0, count * 8);
    const v = viewOf(arr);
    for (let ms = 0; ms < count; ms++) this.objs.push(Number(v.getBigUint64(ms * 8, true)));
  }

  /** Every metaslab's allocated segments (space_map_load). */
  load(): RangeSet[] {
    return this.objs.map((obj, ms) => this.loadOne(ms, obj));
  }

  private loadOne(ms: number, obj: number): RangeSet {
    const set = new RangeSet();
    if (obj === 0) return set;
    const h = decodeSpaceMapHeader(this.mos.bonus(obj), true);
    const size = 2 ** this.shift;
    const base = ms * size;
    try {
      for (const e of decodeSpaceMapEntries(this.mos.read(obj, 0, h.objsize), true, this.ashift)) {
        if (e.offset + e.size > size) throw new Error('entry beyond metaslab');
        if (e.type === SM_ALLOC) set.add(base + e.offset, base + e.offset + e.size);
        else set.remove(base + e.offset, base + e.offset + e.size);
      }
    } catch (e) {
      throw new KernelError(
        Errno.EIO,
        `space map of metaslab ${ms} (object ${obj}) does not replay: ${(e as Error).message}`,
      );
    }
    if (set.bytes !== h.alloc)
      throw new KernelError(
        Errno.EIO,
        `space map of metaslab ${ms}: entries give ${set.bytes} bytes, smo_alloc says ${h.alloc}`,
      );
    return set;
  }

  beginTxg(): void {
    this.written = new Map();
    this.baseSize = new Map();
  }

  /** Writes this txg's allocations and frees so far into the maps (metaslab_sync). */
  append(txg: number, allocator: MetaslabAllocator): void {
    const touched = new Set([...allocator.touched(), ...this.written.keys()]);
    for (const ms of [...touched].sort((a, b) => a - b)) {
      const a = allocator.activity(ms);
      const words: bigint[] = [];
      if (a.allocs.length > 0) {
        words.push(spaceMapDebugEntry(SM_ALLOC, 1, txg));
        for (const [off, size] of a.allocs) words.push(...spaceMapDataEntries(SM_ALLOC, off, size, this.ashift));
      }
      if (a.frees.length > 0) {
        words.push(spaceMapDebugEntry(SM_FREE, 1, txg));
        for (const [off, size] of a.frees) words.push(...spaceMapDataEntries(SM_FREE, off, size, this.ashift));
      }
      const key = words.join(',');
      if (this.written.get(ms) === key) continue;
      this.written.set(ms, key);
      const obj = this.objectOf(ms);
      let base = this.baseSize.get(ms);
      if (base === undefined) {
        base = decodeSpaceMapHeader(this.mos.bonus(obj), true).objsize;
        this.baseSize.set(ms, base);
      }
      const tail = encodeSpaceMapWords(words);
      if (tail.length > 0) this.mos.write(obj, base, tail);
      this.mos.truncate(obj, base + tail.length);
      this.mos.setBonus(
        obj,
        encodeSpaceMapHeader({ object: obj, objsize: base + tail.length, alloc: allocator.allocatedBytes(ms) }),
      );
    }
  }

  private objectOf(ms: number): number {
    let obj = this.objs[ms]!;
    if (obj === 0) {
      obj = this.mos.create(
        DMU_OT_SPACE_MAP,
        DMU_OT_SPACE_MAP_HEADER,
        new Uint8Array(SPACE_MAP_OBJ_SIZE),
        SPACE_MAP_BLOCK,
      );
      this.objs[ms] = obj;
      const entry = new Uint8Array(8);
      putU64(entry, 0, obj);
      this.mos.write(this.arrayObj, ms * 8, entry);
    }
    return obj;
  }
}

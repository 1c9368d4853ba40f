// The trace buffer: a ring of variable-length records in a caller-supplied region of guest RAM
// (a Uint8Array over the guest's SharedArrayBuffer), which another thread — the VMM on the
// host — reads while the guest keeps writing. Layout (all fields little-endian u32, offsets
// from the start of the region, which must be 8-byte aligned):
//
//   0  magic            0x5456534f ("OSVT")
//   4  version          1
//   8  headerBytes      64
//  12  catalogBytes     capacity of the catalog area, multiple of 8
//  16  dataBytes        capacity of the record area, multiple of 8, at most 2^30
//  20  head             byte cursor one past the newest record (wraps modulo 2^32)
//  24  tail             byte cursor of the oldest record still intact (wraps modulo 2^32)
//  28  catalogLength    bytes of catalog JSON currently valid
//  32  catalogSeq       even when the catalog is stable, odd while it is being rewritten
//  36  dropped          records dropped because they could not fit at all
//  40..63 reserved (zero)
//  64                     catalog area: UTF-8 JSON array of {id,name,format,args}
//  64+catalogBytes        record area: the ring; cursor c lives at byte (c mod dataBytes)
//
// A record is 8-byte aligned and never wraps around the end of the area (the writer pads):
//   word 0  (tracepoint id << 16) | (record length in bytes / 8); id 0xffff is padding
//   word 1  thread id
//   word 2,3  timestamp, monotonic ns as an IEEE-754 double (low word first)
//   then the arguments in order: u32/i32/bool one word, f64/u64 two words (low first),
//   str a byte length word followed by the UTF-8 bytes padded to a word.
//
// Concurrency: one writer (the vCPU), any number of readers. Every word of the header and the
// record area is accessed with Atomics (sequentially consistent under the JS memory model), and
// the writer publishes `tail` before it overwrites the bytes of an old record and `head` after
// it wrote a new one. A reader loads head, tail, copies [tail, head), loads tail again: every
// record at or after the second tail was intact while it was copied, so the reader never stops
// the writer and never decodes a torn record; older ones are reported as lost.
import { FormatError, KernelError, Errno } from '@osv-ts/kernel-api';

export const TRACE_RING_MAGIC = 0x5456534f;
export const TRACE_RING_VERSION = 1;
export const TRACE_RING_HEADER_BYTES = 64;
/** Most arguments a tracepoint may declare (a record must fit the writer's 4 KiB scratch). */
export const MAX_TRACE_ARGS = 12;
const PAD_ID = 0xffff;
const MAX_DATA_BYTES = 2 ** 30;
const MAX_STRING_BYTES = 255;

const H_MAGIC = 0;
const H_VERSION = 1;
const H_HEADER = 2;
const H_CATALOG = 3;
const H_DATA = 4;
const H_HEAD = 5;
const H_TAIL = 6;
const H_CATALOG_LEN = 7;
const H_CATALOG_SEQ = 8;
const H_DROPPED = 9;

export type TraceArgType = 'u32' | 'i32' | 'f64' | 'u64' | 'bool' | 'str';
const ARG_TYPES: ReadonlySet<unknown> = new Set<TraceArgType>(['u32', 'i32', 'f64', 'u64', 'bool', 'str']);
export type TraceArgValue<T extends TraceArgType> = T extends 'str'
  ? string
  : T extends 'u64'
    ? bigint
    : T extends 'bool'
      ? boolean
      : number;
export type TraceArgValues<A extends readonly TraceArgType[]> = { [K in keyof A]: TraceArgValue<A[K]> };

export interface TracepointInfo {
  readonly id: number;
  readonly name: string;
  /** printf-style format of the arguments, as OSv's TRACEPOINT() declares it. */
  readonly format: string;
  readonly args: readonly TraceArgType[];
}

export interface TraceRecord {
  readonly id: number;
  readonly name: string;
  readonly threadId: number;
  readonly timeNs: number;
  readonly args: readonly (number | bigint | boolean | string)[];
  /** The thread's name, where the source knows it (an OSv trace dump does). */
  readonly threadName?: string;
  /** The CPU the record was written on (an OSv trace dump says; the ring has one vCPU). */
  readonly cpu?: number;
  /** The thread as an OSv trace dump names it (its sched::thread address), wider than a double. */
  readonly threadKey?: bigint;
}

export interface TraceReadResult {
  readonly catalog: readonly TracepointInfo[];
  readonly records: TraceRecord[];
  /** Pass this as `fromCursor` to the next read to get only newer records. */
  readonly nextCursor: number;
  /** Bytes of records that were overwritten before this read could copy them. */
  readonly lostBytes: number;
  readonly dropped: number;
}

function words(region: Uint8Array): Int32Array {
  if (region.byteOffset % 8 !== 0) {
    throw new FormatError('trace ring', 'region', region.byteOffset, 'must start 8-byte aligned');
  }
  return new Int32Array(region.buffer, region.byteOffset, region.byteLength >>> 2);
}

/** Where a ring lives inside a larger memory (e.g. all of guest RAM). */
export interface TraceRingPlacement {
  offset?: number;
  length?: number;
}

function place(memory: Uint8Array, { offset = 0, length }: TraceRingPlacement): Uint8Array {
  const len = length ?? memory.byteLength - offset;
  if (
    !Number.isSafeInteger(offset) ||
    offset < 0 ||
    !Number.isSafeInteger(len) ||
    len < 0 ||
    offset + len > memory.byteLength
  ) {
    throw new FormatError(
      'trace ring',
      'placement',
      offset,
      `${len} bytes at offset ${offset} exceed a ${memory.byteLength}-byte memory`,
    );
  }
  return offset === 0 && len === memory.byteLength ? memory : memory.subarray(offset, offset + len);
}

/** Records a ring needs at least: header + catalog + two maximal records. */
export function traceRingMinimumBytes(catalogBytes: number): number {
  return TRACE_RING_HEADER_BYTES + catalogBytes + 2 * 2048;
}

/** The writer side. */
export class TraceRing {
  readonly catalogBytes: number;
  readonly dataBytes: number;
  private readonly w: Int32Array;
  private readonly catalogWord: number;
  private readonly dataWord: number;
  private head = 0;
  private tail = 0;
  // Records are composed here with plain stores, then copied into the ring with Atomics.
  private readonly scratch = new ArrayBuffer(4096);
  private readonly scratchWords = new Int32Array(this.scratch);
  private readonly scratchBytes = new Uint8Array(this.scratch);
  private readonly scratchView = new DataView(this.scratch);
  private readonly encoder = new TextEncoder();

  /** The ring's bytes: `memory`, or `length` bytes of it from `offset` (guest RAM + an address). */
  readonly region: Uint8Array;

  constructor(memory: Uint8Array, options: TraceRingPlacement & { catalogBytes?: number } = {}) {
    const region = place(memory, options);
    this.region = region;
    const catalogBytes = align8(options.catalogBytes ?? Math.min(16384, align8(region.byteLength >>> 3)));
    const dataBytes = Math.min(
      MAX_DATA_BYTES,
      Math.floor((region.byteLength - TRACE_RING_HEADER_BYTES - catalogBytes) / 8) * 8,
    );
    if (dataBytes < 4096) {
      throw new KernelError(
        Errno.EINVAL,
        `trace ring region of ${region.byteLength} bytes is too small (need ${traceRingMinimumBytes(catalogBytes)})`,
      );
    }
    this.catalogBytes = catalogBytes;
    this.dataBytes = dataBytes;
    this.w = words(region);
    this.catalogWord = TRACE_RING_HEADER_BYTES >>> 2;
    this.dataWord = (TRACE_RING_HEADER_BYTES + catalogBytes) >>> 2;
    const w = this.w;
    for (let i = 0; i < TRACE_RING_HEADER_BYTES >>> 2; i++) Atomics.store(w, i, 0);
    Atomics.store(w, H_VERSION, TRACE_RING_VERSION);
    Atomics.store(w, H_HEADER, TRACE_RING_HEADER_BYTES);
    Atomics.store(w, H_CATALOG, catalogBytes);
    Atomics.store(w, H_DATA, dataBytes);
    // The magic goes last: a reader that sees it sees a complete header.
    Atomics.store(w, H_MAGIC, TRACE_RING_MAGIC);
  }

  /** Rewrites the catalog (tracepoint definitions) readers decode records with. */
  writeCatalog(catalog: readonly TracepointInfo[]): void {
    const json = this.encoder.encode(
      JSON.stringify(catalog.map((t) => ({ id: t.id, name: t.name, format: t.format, args: t.args }))),
    );
    if (json.length > this.catalogBytes) {
      throw new KernelError(
        Errno.ENOSPC,
        `trace catalog of ${json.length} bytes exceeds its ${this.catalogBytes}-byte area`,
      );
    }
    const w = this.w;
    Atomics.add(w, H_CATALOG_SEQ, 1);
    const padded = new Uint8Array(align4(json.length));
    padded.set(json);
    const pw = new Int32Array(padded.buffer);
    for (let i = 0; i < pw.length; i++) Atomics.store(w, this.catalogWord + i, pw[i]!);
    Atomics.store(w, H_CATALOG_LEN, json.length);
    Atomics.add(w, H_CATALOG_SEQ, 1);
  }

  /** Appends one record; returns false when it was dropped (larger than a quarter of the ring). */
  write(
    id: number,
    threadId: number,
    timeNs: number,
    types: readonly TraceArgType[],
    args: readonly unknown[],
  ): boolean {
    const view = this.scratchView;
    view.setUint32(4, threadId >>> 0, true);
    view.setFloat64(8, timeNs, true);
    let at = 16;
    for (let i = 0; i < types.length; i++) {
      const v = args[i];
      switch (types[i]!) {
        case 'u32':
          view.setUint32(at, Number(v) >>> 0, true);
          at += 4;
          break;
        case 'i32':
          view.setInt32(at, Number(v) | 0, true);
          at += 4;
          break;
        case 'bool':
          view.setUint32(at, v ? 1 : 0, true);
          at += 4;
          break;
        case 'f64':
          view.setFloat64(at, Number(v), true);
          at += 8;
          break;
        case 'u64':
          view.setBigUint64(at, BigInt.asUintN(64, v as bigint), true);
          at += 8;
          break;
        case 'str': {
          const dest = this.scratchBytes.subarray(at + 4, at + 4 + MAX_STRING_BYTES);
          const { written } = this.encoder.encodeInto(String(v), dest);
          view.setUint32(at, written, true);
          at += 4 + align4(written);
          break;
        }
      }
    }
    const size = align8(at);
    if (size > this.dataBytes >>> 2) {
      Atomics.add(this.w, H_DROPPED, 1);
      return false;
    }
    view.setUint32(0, ((id & 0xffff) << 16) | (size >>> 3), true);
    if (size > at) view.setUint32(at, 0, true);

    const pos = this.head % this.dataBytes;
    const pad = pos + size > this.dataBytes ? this.dataBytes - pos : 0;
    this.makeRoom(pad + size);
    const w = this.w;
    if (pad > 0) {
      Atomics.store(w, this.dataWord + (pos >>> 2), (PAD_ID << 16) | (pad >>> 3));
      this.head = (this.head + pad) >>> 0;
    }
    const base = this.dataWord + ((this.head % this.dataBytes) >>> 2);
    const sw = this.scratchWords;
    for (let i = 0, n = size >>> 2; i < n; i++) Atomics.store(w, base + i, sw[i]!);
    this.head = (this.head + size) >>> 0;
    Atomics.store(w, H_HEAD, this.head | 0);
    return true;
  }

  /** Advances the tail past every record the next `bytes` would overwrite, and publishes it. */
  private makeRoom(bytes: number): void {
    let moved = false;
    while (((this.head - this.tail) >>> 0) + bytes > this.dataBytes) {
      const word0 = Atomics.load(this.w, this.dataWord + ((this.tail % this.dataBytes) >>> 2));
      this.tail = (this.tail + ((word0 & 0xffff) << 3)) >>> 0;
      moved = true;
    }
    if (moved) Atomics.store(this.w, H_TAIL, this.tail | 0);
  }

  /** Forgets every record. */
  clear(): void {
    this.tail = this.head;
    Atomics.store(this.w, H_TAIL, this.tail | 0);
  }
}

/**
 * Reads a trace ring laid out as above, from any thread, without stopping the writer. Works in
 * the guest, in the VMM and in host tools (no Node API). `memory` is the ring's region, or all
 * of guest RAM with the ring's `offset` and `length`. `fromCursor` (a previous result's
 * `nextCursor`) returns only newer records.
 */
export function readTraceRing(
  memory: Uint8Array,
  options: TraceRingPlacement & { fromCursor?: number } = {},
): TraceReadResult {
  const region = place(memory, options);
  if (region.byteLength < TRACE_RING_HEADER_BYTES) {
    throw new FormatError('trace ring', 'header', 0, `region of ${region.byteLength} bytes is shorter than the header`);
  }
  const w = words(region);
  const magic = Atomics.load(w, H_MAGIC) >>> 0;
  if (magic !== TRACE_RING_MAGIC)
    throw new FormatError('trace ring', 'magic', 0, `0x${magic.toString(16)} is not "OSVT"`);
  const version = Atomics.load(w, H_VERSION);
  if (version !== TRACE_RING_VERSION)
    throw new FormatError('trace ring', 'version', 4, `unsupported version ${version}`);
  const headerBytes = Atomics.load(w, H_HEADER);
  const catalogBytes = Atomics.load(w, H_CATALOG);
  const dataBytes = Atomics.load(w, H_DATA);
  if (headerBytes !== TRACE_RING_HEADER_BYTES)
    throw new FormatError('trace ring', 'headerBytes', 8, `expected 64, got ${headerBytes}`);
  if (catalogBytes < 0 || catalogBytes % 8 !== 0)
    throw new FormatError('trace ring', 'catalogBytes', 12, `bad value ${catalogBytes}`);
  if (dataBytes <= 0 || dataBytes % 8 !== 0 || headerBytes + catalogBytes + dataBytes > region.byteLength) {
    throw new FormatError(
      'trace ring',
      'dataBytes',
      16,
      `${dataBytes} does not fit a ${region.byteLength}-byte region`,
    );
  }
  const catalog = readCatalog(w, catalogBytes);
  const byId = new Map<number, TracepointInfo>();
  for (const t of catalog) byId.set(t.id, t);

  const dataWord = (headerBytes + catalogBytes) >>> 2;
  // Head first, then tail: both only grow, so a tail loaded after the head is at most
  // dataBytes behind it, unless the writer lapped the reader in between (tail past head): retry.
  let head = Atomics.load(w, H_HEAD) >>> 0;
  let tail1 = Atomics.load(w, H_TAIL) >>> 0;
  for (let attempt = 0; ((tail1 - head) | 0) > 0; attempt++) {
    if (attempt === 1000) throw new FormatError('trace ring', 'tail', 24, 'stays ahead of head');
    head = Atomics.load(w, H_HEAD) >>> 0;
    tail1 = Atomics.load(w, H_TAIL) >>> 0;
  }
  if ((head | tail1) & 7)
    throw new FormatError(
      'trace ring',
      (head & 7) !== 0 ? 'head' : 'tail',
      (head & 7) !== 0 ? 20 : 24,
      'cursor is not 8-byte aligned',
    );
  let from =
    options.fromCursor !== undefined && ((options.fromCursor - tail1) | 0) > 0 ? options.fromCursor >>> 0 : tail1;
  if (((head - from) | 0) < 0) from = head;
  const span = (head - from) >>> 0;
  if (span > dataBytes) throw new FormatError('trace ring', 'head', 20, `cursor distance ${span} exceeds the ring`);
  const copy = new Int32Array(span >>> 2);
  for (let i = 0; i < copy.length; i++)
    copy[i] = Atomics.load(w, dataWord + ((((from + i * 4) >>> 0) % dataBytes) >>> 2));
  const tail2 = Atomics.load(w, H_TAIL) >>> 0;
  const dropped = Atomics.load(w, H_DROPPED) >>> 0;

  const start = ((tail2 - from) | 0) > 0 ? tail2 : from;
  const lostBytes = options.fromCursor !== undefined ? Math.max(0, (start - (options.fromCursor >>> 0)) | 0) : 0;
  const records: TraceRecord[] = [];
  if (((start - head) | 0) >= 0) return { catalog, records, nextCursor: start, lostBytes, dropped };

  const bytes = new Uint8Array(copy.buffer);
  const view = new DataView(copy.buffer);
  const decoder = new TextDecoder();
  let at = (start - from) >>> 0;
  while (at < span) {
    const cursorOffset = (from + at) >>> 0;
    const word0 = view.getUint32(at, true);
    const size = (word0 & 0xffff) << 3;
    const id = word0 >>> 16;
    if (size === 0 || at + size > span) {
      throw new FormatError(
        'trace ring',
        'record length',
        cursorOffset,
        `record of ${size} bytes overruns the written data`,
      );
    }
    if (id !== PAD_ID) {
      const info = byId.get(id);
      const args: (number | bigint | boolean | string)[] = [];
      let p = at + 16;
      const end = at + size;
      for (const type of info?.args ?? []) {
        const need = type === 'f64' || type === 'u64' ? 8 : 4;
        if (p + need > end)
          throw new FormatError('trace ring', `argument of ${info!.name}`, cursorOffset, 'runs past the record');
        if (type === 'u32') args.push(view.getUint32(p, true));
        else if (type === 'i32') args.push(view.getInt32(p, true));
        else if (type === 'bool') args.push(view.getUint32(p, true) !== 0);
        else if (type === 'f64') args.push(view.getFloat64(p, true));
        else if (type === 'u64') args.push(view.getBigUint64(p, true));
        else {
          const len = view.getUint32(p, true);
          if (p + 4 + len > end)
            throw new FormatError(
              'trace ring',
              `string argument of ${info!.name}`,
              cursorOffset,
              `length ${len} runs past the record`,
            );
          args.push(decoder.decode(bytes.subarray(p + 4, p + 4 + len)));
          p += align4(len);
        }
        p += need;
      }
      records.push({
        id,
        name: info?.name ?? `tracepoint_${id}`,
        threadId: view.getUint32(at + 4, true),
        timeNs: view.getFloat64(at + 8, true),
        args,
      });
    }
    at += size;
  }
  return { catalog, records, nextCursor: head, lostBytes, dropped };
}

function readCatalog(w: Int32Array, catalogBytes: number): TracepointInfo[] {
  const base = TRACE_RING_HEADER_BYTES >>> 2;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const seq1 = Atomics.load(w, H_CATALOG_SEQ);
    if (seq1 & 1) continue;
    const length = Atomics.load(w, H_CATALOG_LEN);
    if (length < 0 || length > catalogBytes)
      throw new FormatError('trace ring', 'catalogLength', 28, `${length} exceeds ${catalogBytes}`);
    const copy = new Int32Array(align4(length) >>> 2);
    for (let i = 0; i < copy.length; i++) copy[i] = Atomics.load(w, base + i);
    if (Atomics.load(w, H_CATALOG_SEQ) !== seq1) continue;
    if (length === 0) return [];
    const text = new TextDecoder().decode(new Uint8Array(copy.buffer, 0, length));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new FormatError('trace ring', 'catalog', TRACE_RING_HEADER_BYTES, 'is not valid JSON');
    }
    if (!Array.isArray(parsed))
      throw new FormatError('trace ring', 'catalog', TRACE_RING_HEADER_BYTES, 'is not an array');
    parsed.forEach((t: Partial<TracepointInfo> | null, i) => {
      const ok =
        t !== null &&
        typeof t === 'object' &&
        Number.isInteger(t.id) &&
        typeof t.name === 'string' &&
        typeof t.format === 'string' &&
        Array.isArray(t.args) &&
        t.args.every((a) => ARG_TYPES.has(a));
      if (!ok)
        throw new FormatError(
          'trace ring',
          `catalog entry ${i}`,
          TRACE_RING_HEADER_BYTES,
          'is not {id, name, format, args}',
        );
    });
    return parsed as TracepointInfo[];
  }
  throw new FormatError('trace ring', 'catalogSeq', 32, 'catalog kept changing while being read');
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

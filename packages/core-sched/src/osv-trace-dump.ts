// OSv's trace dump file: what OSv's GET /trace/buffers serves and scripts/trace.py reads
// (core/trace.cc, trace::create_trace_dump; format version 0.1). RIFF-like chunks, each a u32
// FOURCC tag stored in native endianness (so 'OSVT' is the bytes "TVSO" on little-endian) and
// a u64 size, aligned on 8; inside, every field is aligned on its natural alignment and a
// string is a u16 length and its bytes:
//
//   OSVT { u32 endian = 1; u32 version = (0 << 16) | 1;
//          TRCD { u32 backtrace_len; u32 n_types;
//                 { u64 key; string id; string name; string provider; string format;
//                   u32 n_args; { string name; char sig } [n_args] } [n_types] } +
//          MODS / SYMB (module and symbol tables; skipped here) *
//          TRCS { records, each aligned on 8:
//                 u64 tracepoint key; u64 thread; char thread_name[16]; u64 time (ns);
//                 u32 cpu; u8 flags (bit 0: a backtrace of backtrace_len u64s follows);
//                 the arguments from offset 48, each aligned as its type, by the
//                 tracepoint's signature (include/osv/trace.hh signature_char) } + }
//
// A record whose key is 0 (or all ones) ends a TRCS chunk early, as trace.py stops there.
import { FormatError } from '@osv-ts/kernel-api';
import type { TraceArgType, TracepointInfo, TraceRecord } from './trace-ring.js';

const WHAT = 'OSv trace dump';
const TAG_OSVT = fourcc('OSVT');
const TAG_TRCD = fourcc('TRCD');
const TAG_TRCS = fourcc('TRCS');
const FORMAT_VERSION = (0 << 16) | 1;
const RECORD_HEADER_BYTES = 48;
/** object_serializer<const char*>: a Pascal string in 50 bytes (a length byte, then ≤ 49). */
const PASCAL_STRING_BYTES = 50;
const THREAD_NAME_BYTES = 16;

function fourcc(s: string): number {
  return ((s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3)) >>> 0;
}

/** The OSv signature character our argument types are written as. */
const SIG_OF: Record<TraceArgType, string> = { u32: 'I', i32: 'i', bool: '?', f64: 'd', u64: 'Q', str: 'p' };
/** Size of each OSv signature character ('*' is a u16-length blob); each is aligned on its size, but 'p' on 1. */
const SIG_SIZE: Record<string, number> = {
  c: 1,
  b: 1,
  B: 1,
  '?': 1,
  h: 2,
  H: 2,
  i: 4,
  I: 4,
  f: 4,
  q: 8,
  Q: 8,
  d: 8,
  P: 8,
  p: PASCAL_STRING_BYTES,
  '*': 2,
};
/** Our argument type nearest to each OSv signature character, for a dump's catalog. */
const TYPE_OF: Record<string, TraceArgType> = {
  c: 'str',
  b: 'i32',
  B: 'u32',
  '?': 'bool',
  h: 'i32',
  H: 'u32',
  i: 'i32',
  I: 'u32',
  f: 'f64',
  d: 'f64',
  q: 'u64',
  Q: 'u64',
  P: 'u64',
  p: 'str',
  '*': 'str',
};

export interface OsvTraceDumpOptions {
  /** The name of a thread, by id (OSv writes each record's thread name; 15 bytes kept). */
  threadName?: (threadId: number) => string | undefined;
}

/** Writes records (a trace ring's, read with readTraceRing) as an OSv trace dump. */
export function encodeOsvTraceDump(
  catalog: readonly TracepointInfo[],
  records: readonly TraceRecord[],
  options: OsvTraceDumpOptions = {},
): Uint8Array {
  const out = new DumpWriter();
  const byId = new Map(catalog.map((t) => [t.id, t]));
  const names = new Map<number, Uint8Array>();
  const osvt = out.openChunk(TAG_OSVT);
  out.u32(1); // endianness check
  out.u32(FORMAT_VERSION);

  const trcd = out.openChunk(TAG_TRCD);
  out.u32(0); // backtrace_len: the vCPU has no stack to walk, so no record carries one
  out.u32(catalog.length);
  for (const t of catalog) {
    out.u64(keyOf(t.id));
    out.string(t.name);
    out.string(t.name);
    out.string('osv-ts');
    out.string(t.format);
    out.u32(t.args.length);
    t.args.forEach((type, n) => {
      out.string(String(n));
      out.u8(SIG_OF[type].charCodeAt(0));
    });
  }
  out.closeChunk(trcd);

  const trcs = out.openChunk(TAG_TRCS);
  out.align(8);
  for (const r of records) {
    const info = byId.get(r.id);
    if (info === undefined) continue; // not decodable without its definition, so not dumpable
    out.align(8);
    out.u64(keyOf(r.id));
    out.u64(r.threadKey ?? BigInt(r.threadId));
    let name = names.get(r.threadId);
    if (name === undefined) {
      name = truncatedUtf8(r.threadName ?? options.threadName?.(r.threadId) ?? '', THREAD_NAME_BYTES - 1);
      names.set(r.threadId, name);
    }
    out.bytes(name, THREAD_NAME_BYTES);
    out.u64(BigInt(Math.max(0, Math.round(r.timeNs))));
    out.u32(r.cpu ?? 0);
    out.u8(0); // flags: no backtrace
    out.align(8); // the arguments start at 48, as trace_record's union does
    info.args.forEach((type, i) => writeArg(out, type, r.args[i]!));
  }
  out.closeChunk(trcs);
  out.closeChunk(osvt);
  return out.finish();
}

/** A record's tracepoint key (OSv: its address): never 0, which ends a TRCS chunk. */
function keyOf(id: number): bigint {
  return BigInt(id) + 1n;
}

function writeArg(out: DumpWriter, type: TraceArgType, v: number | bigint | boolean | string): void {
  // Each write aligns itself as trace.hh's serializers do (a u8 or a Pascal string on 1).
  switch (type) {
    case 'u32':
      return out.u32(Number(v) >>> 0);
    case 'i32':
      return out.u32(Number(v) | 0);
    case 'bool':
      return out.u8(v ? 1 : 0);
    case 'f64':
      return out.f64(Number(v));
    case 'u64':
      return out.u64(BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)))));
    case 'str': {
      const bytes = truncatedUtf8(String(v), PASCAL_STRING_BYTES - 1);
      out.u8(bytes.length);
      return out.bytes(bytes, PASCAL_STRING_BYTES - 1);
    }
  }
}

/** At most `max` bytes of UTF-8, cut at a character boundary. */
function truncatedUtf8(s: string, max: number): Uint8Array {
  const bytes = new TextEncoder().encode(s);
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

class DumpWriter {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  align(a: number): void {
    const pad = (a - (this.pos % a)) % a;
    this.room(pad);
    this.buf.fill(0, this.pos, this.pos + pad);
    this.pos += pad;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.align(2);
    this.room(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }
  u32(v: number): void {
    this.align(4);
    this.room(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }
  u64(v: bigint): void {
    this.align(8);
    this.room(8);
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }
  f64(v: number): void {
    this.align(8);
    this.room(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  /** `data`, zero-padded to `width` bytes when given. */
  bytes(data: Uint8Array, width = data.length): void {
    this.room(width);
    this.buf.set(data, this.pos);
    this.buf.fill(0, this.pos + data.length, this.pos + width);
    this.pos += width;
  }
  string(s: string): void {
    const bytes = truncatedUtf8(s, 0xffff);
    this.u16(bytes.length);
    this.bytes(bytes);
  }
  /** Writes the tag and a size to patch; returns where the size is. */
  openChunk(tag: number): number {
    this.align(8);
    this.u32(tag);
    this.align(8);
    const at = this.pos;
    this.u64(0n);
    return at;
  }
  closeChunk(sizeAt: number): void {
    this.view.setBigUint64(sizeAt, BigInt(this.pos - sizeAt - 8), true);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export interface OsvTraceDump {
  /** One entry per tracepoint of the dictionary; `id` is its index (the dump's keys are addresses). */
  readonly catalog: readonly TracepointInfo[];
  /** Records of every TRCS chunk, oldest first. */
  readonly records: TraceRecord[];
}

/**
 * True when `bytes` start as a little-endian OSv trace dump. (Big-endian dumps, which trace.py
 * would read, come from no machine OSv runs on; their first bytes are also the trace ring's.)
 */
export function isOsvTraceDump(bytes: Uint8Array): boolean {
  return String.fromCharCode(...bytes.subarray(0, 4)) === 'TVSO';
}

/** Reads an OSv trace dump, validating every size and offset; a bad one is a FormatError. */
export function decodeOsvTraceDump(bytes: Uint8Array): OsvTraceDump {
  if (!isOsvTraceDump(bytes)) throw new FormatError(WHAT, 'tag', 0, 'does not start with "OSVT" (little-endian)');
  const r = new DumpReader(bytes);
  r.pos = 4;
  const size = r.u64('dump size');
  // The size counts from after itself; trace.py ignores it, so a short count is not trusted past
  // the bytes there are.
  const end = size > BigInt(bytes.length - r.pos) ? bytes.length : r.pos + Number(size);
  r.limit = end;
  if (r.u32('endianness check') !== 1) throw new FormatError(WHAT, 'endianness check', 16, 'is not 1');
  r.u32('version');
  const keys = new Map<bigint, { info: TracepointInfo; sig: string }>();
  const catalog: TracepointInfo[] = [];
  let backtraceLen = 0;
  const records: TraceRecord[] = [];
  while (true) {
    r.align(8);
    if (r.pos + 16 > end) break;
    const chunkTag = r.u32('chunk tag');
    const chunkSize = r.u64('chunk size');
    const start = r.pos;
    if (chunkSize > BigInt(end - start))
      throw new FormatError(WHAT, 'chunk size', start - 8, `${chunkSize} bytes run past the dump`);
    const chunkEnd = start + Number(chunkSize);
    if (chunkTag === TAG_TRCD) {
      r.limit = chunkEnd;
      backtraceLen = r.u32('backtrace_len');
      const n = r.u32('n_types');
      for (let i = 0; i < n; i++) {
        const key = r.u64('tracepoint key');
        r.string('tracepoint id');
        const name = r.string('tracepoint name');
        r.string('provider');
        const format = r.string('format');
        const nArgs = r.u32('n_args');
        let sig = '';
        for (let a = 0; a < nArgs; a++) {
          r.string('argument name');
          const c = String.fromCharCode(r.u8('argument type'));
          if (SIG_SIZE[c] === undefined)
            throw new FormatError(WHAT, `argument type of ${name}`, r.pos - 1, `unknown signature '${c}'`);
          sig += c;
        }
        const info: TracepointInfo = { id: catalog.length, name, format, args: [...sig].map((c) => TYPE_OF[c]!) };
        catalog.push(info);
        keys.set(key, { info, sig });
      }
    } else if (chunkTag === TAG_TRCS) {
      r.limit = chunkEnd;
      readRecords(r, start, chunkEnd, keys, backtraceLen, records);
    }
    r.limit = end;
    r.pos = chunkEnd;
  }
  records.sort((a, b) => a.timeNs - b.timeNs);
  return { catalog, records };
}

function readRecords(
  r: DumpReader,
  start: number,
  end: number,
  keys: Map<bigint, { info: TracepointInfo; sig: string }>,
  backtraceLen: number,
  records: TraceRecord[],
): void {
  const decoder = new TextDecoder();
  r.pos = start;
  while (r.pos < end) {
    r.align(8); // the chunk starts 8-aligned, so this is trace.py's align_up(8) within it
    if (r.pos >= end) break;
    const at = r.pos;
    const key = r.u64('record tracepoint key');
    if (key === 0n || key === 0xffff_ffff_ffff_ffffn) break;
    const tp = keys.get(key);
    if (tp === undefined)
      throw new FormatError(WHAT, 'record tracepoint key', at, `unknown tracepoint 0x${key.toString(16)}`);
    const thread = r.u64('record thread');
    const rawName = r.take(THREAD_NAME_BYTES, 'record thread name');
    const nul = rawName.indexOf(0);
    const threadName = decoder.decode(nul < 0 ? rawName : rawName.subarray(0, nul));
    const time = r.u64('record time');
    const cpu = r.u32('record cpu');
    const flags = r.u8('record flags');
    r.pos = at + RECORD_HEADER_BYTES;
    if (r.pos > end) throw new FormatError(WHAT, 'record', at, 'header runs past its chunk');
    if (flags & 1) r.take(8 * backtraceLen, 'record backtrace');
    const args: (number | bigint | boolean | string)[] = [];
    for (const c of tp.sig) args.push(readArg(r, c, decoder));
    records.push({
      id: tp.info.id,
      name: tp.info.name,
      threadId: Number(BigInt.asUintN(32, thread)),
      threadKey: thread,
      threadName,
      cpu,
      timeNs: Number(time),
      args,
    });
  }
}

function readArg(r: DumpReader, c: string, decoder: TextDecoder): number | bigint | boolean | string {
  // Each read aligns itself on its size (a u8 or a Pascal string on 1), as the writer did.
  const what = `argument '${c}'`;
  switch (c) {
    case 'c':
      return String.fromCharCode(r.u8(what));
    case 'b':
      return (r.u8(what) << 24) >> 24;
    case 'B':
      return r.u8(what);
    case '?':
      return r.u8(what) !== 0;
    case 'h':
      return (r.u16(what) << 16) >> 16;
    case 'H':
      return r.u16(what);
    case 'i':
      return r.u32(what) | 0;
    case 'I':
      return r.u32(what);
    case 'f':
      return r.f32(what);
    case 'd':
      return r.f64(what);
    case 'q':
      return BigInt.asIntN(64, r.u64(what));
    case 'p': {
      const raw = r.take(PASCAL_STRING_BYTES, what);
      return decoder.decode(raw.subarray(1, 1 + Math.min(raw[0]!, PASCAL_STRING_BYTES - 1)));
    }
    case '*': {
      const len = r.u16(what);
      return `{${[...r.take(len, what)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}}`;
    }
    default: // 'Q', 'P'
      return r.u64(what);
  }
}

function align(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

class DumpReader {
  pos = 0;
  limit: number;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.limit = bytes.length;
  }
  align(a: number): void {
    this.pos = align(this.pos, a);
  }
  private at(n: number, what: string, alignment = n): number {
    const p = align(this.pos, alignment);
    if (p + n > this.limit) throw new FormatError(WHAT, what, p, `${n} bytes run past the end`);
    this.pos = p + n;
    return p;
  }
  u8(what: string): number {
    return this.view.getUint8(this.at(1, what));
  }
  u16(what: string): number {
    return this.view.getUint16(this.at(2, what), true);
  }
  u32(what: string): number {
    return this.view.getUint32(this.at(4, what), true);
  }
  u64(what: string): bigint {
    return this.view.getBigUint64(this.at(8, what), true);
  }
  f32(what: string): number {
    return this.view.getFloat32(this.at(4, what), true);
  }
  f64(what: string): number {
    return this.view.getFloat64(this.at(8, what), true);
  }
  take(n: number, what: string): Uint8Array {
    const p = this.at(n, what, 1);
    return this.bytes.subarray(p, p + n);
  }
  string(what: string): string {
    const len = this.u16(what);
    return new TextDecoder().decode(this.take(len, what));
  }
}

// XDR-encoded name/value lists (libnvpair, NV_ENCODE_XDR), reference §2: the pool config in
// labels and in the MOS `config` object. Decoding validates every length; encoding fills the
// native "decoded size" that libnvpair uses to size its allocations.
import { formatError } from './bytes.js';

export const NvType = {
  BOOLEAN: 1,
  BYTE: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  INT64: 7,
  UINT64: 8,
  STRING: 9,
  BYTE_ARRAY: 10,
  INT16_ARRAY: 11,
  UINT16_ARRAY: 12,
  INT32_ARRAY: 13,
  UINT32_ARRAY: 14,
  INT64_ARRAY: 15,
  UINT64_ARRAY: 16,
  STRING_ARRAY: 17,
  HRTIME: 18,
  NVLIST: 19,
  NVLIST_ARRAY: 20,
  BOOLEAN_VALUE: 21,
  INT8: 22,
  UINT8: 23,
  BOOLEAN_ARRAY: 24,
  INT8_ARRAY: 25,
  UINT8_ARRAY: 26,
} as const;

export type NvValue =
  | { type: 1 }
  | { type: 2 | 3 | 4 | 5 | 6 | 22 | 23; value: number }
  | { type: 21; value: boolean }
  | { type: 7 | 8 | 18; value: bigint }
  | { type: 9; value: string }
  | { type: 10 | 26 | 25; value: Uint8Array }
  | { type: 11 | 12 | 13 | 14; value: number[] }
  | { type: 24; value: boolean[] }
  | { type: 15 | 16; value: bigint[] }
  | { type: 17; value: string[] }
  | { type: 19; value: NvList }
  | { type: 20; value: NvList[] };

/** An ordered list of unique-named pairs. */
export class NvList {
  readonly pairs: { name: string; v: NvValue }[] = [];

  set(name: string, v: NvValue): this {
    const i = this.pairs.findIndex((p) => p.name === name);
    if (i >= 0) this.pairs[i] = { name, v };
    else this.pairs.push({ name, v });
    return this;
  }
  setU64(name: string, value: bigint | number): this {
    return this.set(name, { type: 8, value: BigInt(value) });
  }
  setString(name: string, value: string): this {
    return this.set(name, { type: 9, value });
  }
  setList(name: string, value: NvList): this {
    return this.set(name, { type: 19, value });
  }
  setListArray(name: string, value: NvList[]): this {
    return this.set(name, { type: 20, value });
  }
  get(name: string): NvValue | undefined {
    return this.pairs.find((p) => p.name === name)?.v;
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  u64(name: string): bigint | undefined {
    const v = this.get(name);
    return v && v.type === 8 ? v.value : undefined;
  }
  num(name: string): number | undefined {
    const v = this.u64(name);
    return v === undefined ? undefined : Number(v);
  }
  string(name: string): string | undefined {
    const v = this.get(name);
    return v && v.type === 9 ? v.value : undefined;
  }
  list(name: string): NvList | undefined {
    const v = this.get(name);
    return v && v.type === 19 ? v.value : undefined;
  }
  listArray(name: string): NvList[] | undefined {
    const v = this.get(name);
    return v && v.type === 20 ? v.value : undefined;
  }
  names(): string[] {
    return this.pairs.map((p) => p.name);
  }
  /** Plain-object view for debugging and tests (bigints kept). */
  toJSON(): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const { name, v } of this.pairs) {
      if (v.type === 1) o[name] = true;
      else if (v.type === 19) o[name] = v.value.toJSON();
      else if (v.type === 20) o[name] = v.value.map((l) => l.toJSON());
      else o[name] = v.value;
    }
    return o;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8enc = new TextEncoder();
const align4 = (n: number): number => (n + 3) & ~3;
const align8 = (n: number): number => (n + 7) & ~7;
const MAX_DEPTH = 64;

class XdrReader {
  readonly view: DataView;
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number, field: string): void {
    if (n < 0 || this.pos + n > this.end)
      throw formatError(`nvlist.${field}`, this.pos, `needs ${n} bytes, ${this.end - this.pos} left`);
  }
  i32(field: string): number {
    this.need(4, field);
    const v = this.view.getInt32(this.pos, false);
    this.pos += 4;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, false);
    this.pos += 4;
    return v;
  }
  u64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos, false);
    this.pos += 8;
    return v;
  }
  i64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigInt64(this.pos, false);
    this.pos += 8;
    return v;
  }
  bytes(n: number, field: string): Uint8Array {
    this.need(align4(n), field);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += align4(n);
    return b;
  }
  string(field: string): string {
    const len = this.u32(`${field}.length`);
    return utf8.decode(this.bytes(len, field));
  }
}

function decodeValue(r: XdrReader, type: number, nelem: number, depth: number, at: number): NvValue {
  const count = (field: string): number => {
    const n = r.u32(`${field}.count`);
    if (n !== nelem) throw formatError(`nvlist.${field}.count`, r.pos - 4, `count ${n} != nelem ${nelem}`);
    if (n * 4 > r.end - r.pos) throw formatError(`nvlist.${field}.count`, r.pos - 4, `count ${n} too large`);
    return n;
  };
  switch (type) {
    case NvType.BOOLEAN:
      return { type };
    case NvType.BYTE:
    case NvType.INT16:
    case NvType.UINT16:
    case NvType.INT8:
    case NvType.UINT8:
    case NvType.INT32:
      return { type, value: r.i32('value') };
    case NvType.UINT32:
      return { type, value: r.u32('value') };
    case NvType.BOOLEAN_VALUE:
      return { type, value: r.i32('value') !== 0 };
    case NvType.UINT64:
      return { type, value: r.u64('value') };
    case NvType.INT64:
    case NvType.HRTIME:
      return { type, value: r.i64('value') };
    case NvType.STRING:
      return { type, value: r.string('value') };
    case NvType.BYTE_ARRAY: {
      // nvpair.c encodes byte arrays with xdr_opaque of nelem bytes (no length word).
      return { type, value: r.bytes(nelem, 'value').slice() };
    }
    case NvType.INT8_ARRAY:
    case NvType.UINT8_ARRAY: {
      const n = count('value');
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = r.i32('value') & 0xff;
      return { type, value: out };
    }
    case NvType.INT16_ARRAY:
    case NvType.UINT16_ARRAY:
    case NvType.INT32_ARRAY:
    case NvType.UINT32_ARRAY: {
      const n = count('value');
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(type === NvType.UINT32_ARRAY ? r.u32('value') : r.i32('value'));
      return { type, value: out };
    }
    case NvType.BOOLEAN_ARRAY: {
      const n = count('value');
      const out: boolean[] = [];
      for (let i = 0; i < n; i++) out.push(r.i32('value') !== 0);
      return { type, value: out };
    }
    case NvType.INT64_ARRAY:
    case NvType.UINT64_ARRAY: {
      const n = count('value');
      const out: bigint[] = [];
      for (let i = 0; i < n; i++) out.push(type === NvType.INT64_ARRAY ? r.i64('value') : r.u64('value'));
      return { type, value: out };
    }
    case NvType.STRING_ARRAY: {
      const out: string[] = [];
      if (nelem * 4 > r.end - r.pos) throw formatError('nvlist.value.nelem', at, `nelem ${nelem} too large`);
      for (let i = 0; i < nelem; i++) out.push(r.string('value'));
      return { type, value: out };
    }
    case NvType.NVLIST:
      return { type, value: decodeBody(r, depth + 1) };
    case NvType.NVLIST_ARRAY: {
      const out: NvList[] = [];
      if (nelem * 8 > r.end - r.pos) throw formatError('nvlist.value.nelem', at, `nelem ${nelem} too large`);
      for (let i = 0; i < nelem; i++) out.push(decodeBody(r, depth + 1));
      return { type, value: out };
    }
    default:
      throw formatError('nvpair.type', at, `unsupported data type ${type}`);
  }
}

function decodeBody(r: XdrReader, depth: number): NvList {
  if (depth > MAX_DEPTH) throw formatError('nvlist', r.pos, 'nesting too deep');
  r.i32('nvl_version');
  r.u32('nvl_nvflag');
  const list = new NvList();
  for (;;) {
    const start = r.pos;
    const encSize = r.i32('nvp_size');
    const decSize = r.i32('nvp_decoded_size');
    if (encSize === 0 && decSize === 0) return list;
    if (encSize < 24 || start + encSize > r.end) throw formatError('nvpair.encoded_size', start, `bad size ${encSize}`);
    const name = r.string('nvp_name');
    const type = r.i32('nvp_type');
    const nelem = r.i32('nvp_nelem');
    if (nelem < 0) throw formatError('nvpair.nelem', r.pos - 4, `negative ${nelem}`);
    const pairEnd = start + encSize;
    const sub = new XdrReader(r.buf, r.pos, pairEnd);
    const v = decodeValue(sub, type, nelem, depth, r.pos - 8);
    // Embedded lists are encoded inside the pair and counted by its size.
    if (sub.pos > pairEnd) throw formatError('nvpair.value', r.pos, 'value overruns pair');
    r.pos = pairEnd;
    list.set(name, v);
  }
}

/** Decodes an XDR nvlist stream (4-byte header + body) from `buf[offset..offset+length)`. */
export function decodeNvList(buf: Uint8Array, offset = 0, length = buf.length - offset): NvList {
  if (offset < 0 || length < 0 || offset + length > buf.length)
    throw formatError('nvlist', offset, 'range outside buffer');
  if (length < 4) throw formatError('nvlist.header', offset, 'truncated');
  const encoding = buf[offset]!;
  if (encoding !== 1) throw formatError('nvlist.header.encoding', offset, `encoding ${encoding} is not XDR (1)`);
  return decodeBody(new XdrReader(buf, offset + 4, offset + length), 0);
}

class XdrWriter {
  chunks: Uint8Array[] = [];
  length = 0;
  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  i32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v | 0, false);
    this.push(b);
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, false);
    this.push(b);
  }
  u64(v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), false);
    this.push(b);
  }
  opaque(bytes: Uint8Array): void {
    const b = new Uint8Array(align4(bytes.length));
    b.set(bytes);
    this.push(b);
  }
  string(s: string): void {
    const b = utf8enc.encode(s);
    this.u32(b.length);
    this.opaque(b);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function nelemOf(v: NvValue): number {
  switch (v.type) {
    case 1:
      return 0;
    case 10:
    case 25:
    case 26:
    case 11:
    case 12:
    case 13:
    case 14:
    case 24:
    case 15:
    case 16:
    case 17:
    case 20:
      return v.value.length;
    default:
      return 1;
  }
}

// libnvpair i_get_value_size: bytes of the native value, for the decoded-size field.
function nativeValueSize(v: NvValue): number {
  switch (v.type) {
    case 1:
      return 0;
    case 2:
    case 22:
    case 23:
      return 1;
    case 3:
    case 4:
      return 2;
    case 5:
    case 6:
    case 21:
      return 4;
    case 7:
    case 8:
    case 18:
      return 8;
    case 9:
      return utf8enc.encode(v.value).length + 1;
    case 10:
    case 25:
    case 26:
      return v.value.length;
    case 11:
    case 12:
      return v.value.length * 2;
    case 13:
    case 14:
    case 24:
      return v.value.length * 4;
    case 15:
    case 16:
      return v.value.length * 8;
    case 17:
      return v.value.length * 8 + v.value.reduce((s, x) => s + utf8enc.encode(x).length + 1, 0);
    case 19:
      return 24;
    case 20:
      return v.value.length * 8 + v.value.length * 24;
  }
}

function encodeValue(w: XdrWriter, v: NvValue): void {
  switch (v.type) {
    case 1:
      return;
    case 2:
    case 3:
    case 4:
    case 5:
    case 22:
    case 23:
      w.i32(v.value);
      return;
    case 6:
      w.u32(v.value);
      return;
    case 21:
      w.i32(v.value ? 1 : 0);
      return;
    case 7:
    case 8:
    case 18:
      w.u64(v.value);
      return;
    case 9:
      w.string(v.value);
      return;
    case 10:
      w.opaque(v.value);
      return;
    case 25:
    case 26:
      w.u32(v.value.length);
      for (const x of v.value) w.i32(x);
      return;
    case 11:
    case 12:
    case 13:
      w.u32(v.value.length);
      for (const x of v.value) w.i32(x);
      return;
    case 14:
      w.u32(v.value.length);
      for (const x of v.value) w.u32(x);
      return;
    case 24:
      w.u32(v.value.length);
      for (const x of v.value) w.i32(x ? 1 : 0);
      return;
    case 15:
    case 16:
      w.u32(v.value.length);
      for (const x of v.value) w.u64(x);
      return;
    case 17:
      for (const x of v.value) w.string(x);
      return;
    case 19:
      encodeBody(w, v.value);
      return;
    case 20:
      for (const l of v.value) encodeBody(w, l);
      return;
  }
}

function encodeBody(w: XdrWriter, list: NvList): void {
  w.i32(0); // NV_VERSION
  w.u32(1); // NV_UNIQUE_NAME
  for (const { name, v } of list.pairs) {
    const body = new XdrWriter();
    body.string(name);
    body.i32(v.type);
    body.i32(nelemOf(v));
    encodeValue(body, v);
    const nameLen = utf8enc.encode(name).length;
    const decoded = align8(16 + nameLen + 1) + align8(nativeValueSize(v));
    w.i32(body.length + 8);
    w.i32(decoded);
    w.chunks.push(...body.chunks);
    w.length += body.length;
  }
  w.i32(0);
  w.i32(0);
}

/** Encodes `list` as an XDR stream with the 4-byte header (encoding XDR, little-endian host). */
export function encodeNvList(list: NvList): Uint8Array {
  const w = new XdrWriter();
  w.opaque(new Uint8Array([1, 1, 0, 0]));
  encodeBody(w, list);
  return w.concat();
}

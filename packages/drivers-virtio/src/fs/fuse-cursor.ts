// Bounds-checked little-endian reading and writing over a byte range, for the FUSE codecs:
// every read checks that the field lies inside the message before touching it, so a short or
// lying message is a FuseFormatError naming the field, never a RangeError.
import { FuseFormatError } from './fuse-format-error.js';

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

export class FuseReader {
  private readonly view: DataView;
  at = 0;

  constructor(
    readonly bytes: Uint8Array,
    private readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.end - this.at;
  }

  need(n: number, field: string): void {
    if (n < 0 || this.at + n > this.end)
      throw new FuseFormatError(field, this.at, `needs ${n} bytes, ${this.end - this.at} remain`);
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  i32(field: string): number {
    this.need(4, field);
    const v = this.view.getInt32(this.at, true);
    this.at += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.at += n;
  }

  /** `n` bytes as a view (no copy). */
  bytesView(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  /** A NUL-terminated name of 1..maxBytes bytes (FUSE sends names with their NUL). */
  cstring(field: string, maxBytes: number): string {
    const start = this.at;
    let nul = -1;
    for (let i = start; i < this.end; i++)
      if (this.bytes[i] === 0) {
        nul = i;
        break;
      }
    if (nul < 0) throw new FuseFormatError(field, start, 'no terminating NUL');
    if (nul === start) throw new FuseFormatError(field, start, 'empty');
    if (nul - start > maxBytes) throw new FuseFormatError(field, start, `longer than ${maxBytes} bytes`);
    this.at = nul + 1;
    return utf8Decoder.decode(this.bytes.subarray(start, nul));
  }

  /** Nothing may follow the structure. */
  finish(what: string): void {
    if (this.at !== this.end)
      throw new FuseFormatError(what, this.at, `${this.end - this.at} unexpected trailing bytes`);
  }
}

export class FuseWriter {
  private bytes: Uint8Array;
  private view: DataView;
  at = 0;

  /**
   * Writes into `into` when given (a driver's DMA buffer: no copy afterwards) and into a buffer
   * of its own once that is full.
   */
  constructor(initialBytes = 256, into?: Uint8Array) {
    this.bytes = into ?? new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  private room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.at + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u16(v: number): this {
    this.room(2);
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
    return this;
  }

  i32(v: number): this {
    this.room(4);
    this.view.setInt32(this.at, v | 0, true);
    this.at += 4;
    return this;
  }

  u64(v: bigint): this {
    this.room(8);
    this.view.setBigUint64(this.at, BigInt.asUintN(64, v), true);
    this.at += 8;
    return this;
  }

  zeros(n: number): this {
    this.room(n);
    this.bytes.fill(0, this.at, this.at + n);
    this.at += n;
    return this;
  }

  raw(data: Uint8Array): this {
    this.room(data.length);
    this.bytes.set(data, this.at);
    this.at += data.length;
    return this;
  }

  cstring(s: string): this {
    this.raw(utf8Encoder.encode(s));
    return this.zeros(1);
  }

  /** Patches a u32 written earlier (the header's len, once the message is complete). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }

  finish(): Uint8Array {
    return this.bytes.subarray(0, this.at);
  }
}

export function utf8Bytes(s: string): number {
  return utf8Encoder.encode(s).length;
}

// Bounds checks shared by every wire parser: each read is preceded by a check that names the
// field and offset (CONTRIBUTING.md, "How code reads": parsers never throw a bare RangeError).
import { FormatError } from '@osv-ts/kernel-api';

/** Throws FormatError unless `bytes` holds `length` bytes at `offset`. */
export function need(bytes: Uint8Array, offset: number, length: number, format: string, field: string): void {
  if (offset < 0 || length < 0 || offset + length > bytes.length) {
    throw new FormatError(
      format,
      field,
      offset,
      `needs ${length} bytes, ${Math.max(0, bytes.length - offset)} available`,
    );
  }
}

export function fail(format: string, field: string, offset: number, detail: string): never {
  throw new FormatError(format, field, offset, detail);
}

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

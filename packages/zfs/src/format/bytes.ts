// Bounds-checked little/big-endian field access over on-disk bytes. Every read names the
// field it is reading so a truncated or corrupt image yields a FormatError, never a RangeError.
import { FormatError } from '@osv-ts/kernel-api';

export const FORMAT = 'zfs';

export function need(buf: Uint8Array, offset: number, length: number, field: string): void {
  if (!Number.isInteger(offset) || offset < 0 || length < 0 || offset + length > buf.length) {
    throw new FormatError(FORMAT, field, offset, `needs ${length} bytes, have ${Math.max(0, buf.length - offset)}`);
  }
}

export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Reads a u64 as bigint. */
export function u64(buf: Uint8Array, offset: number, le: boolean, field: string): bigint {
  need(buf, offset, 8, field);
  return viewOf(buf).getBigUint64(offset, le);
}

/** Reads a u64 that must fit a JS number exactly (sizes, offsets, object ids, txgs). */
export function u64n(buf: Uint8Array, offset: number, le: boolean, field: string): number {
  const v = u64(buf, offset, le, field);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FormatError(FORMAT, field, offset, `value ${v} exceeds 2^53`);
  }
  return Number(v);
}

export function u32(buf: Uint8Array, offset: number, le: boolean, field: string): number {
  need(buf, offset, 4, field);
  return viewOf(buf).getUint32(offset, le);
}

export function u16(buf: Uint8Array, offset: number, le: boolean, field: string): number {
  need(buf, offset, 2, field);
  return viewOf(buf).getUint16(offset, le);
}

export function u8(buf: Uint8Array, offset: number, field: string): number {
  need(buf, offset, 1, field);
  return buf[offset]!;
}

export function putU64(buf: Uint8Array, offset: number, value: bigint | number, le = true): void {
  viewOf(buf).setBigUint64(offset, BigInt.asUintN(64, BigInt(value)), le);
}

export function putU32(buf: Uint8Array, offset: number, value: number, le = true): void {
  viewOf(buf).setUint32(offset, value >>> 0, le);
}

export function putU16(buf: Uint8Array, offset: number, value: number, le = true): void {
  viewOf(buf).setUint16(offset, value & 0xffff, le);
}

export function isAllZero(buf: Uint8Array): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

export function formatError(field: string, offset: number, detail: string): FormatError {
  return new FormatError(FORMAT, field, offset, detail);
}

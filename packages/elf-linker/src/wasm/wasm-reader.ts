// A cursor over WebAssembly binary bytes (core spec §5.1, §5.2): LEB128 integers, names,
// vectors and limits, each bounded by the end of its section. Every read that would run past
// the end, or that holds a value the spec forbids, is a FormatError naming the field and offset.
import { FormatError } from '@osv-ts/kernel-api';
import type { MemoryLimits } from './wasm-module-info.js';

export class WasmReader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  fail(field: string, detail: string): never {
    throw new FormatError('wasm', field, this.pos, detail);
  }

  u8(field: string): number {
    if (this.pos >= this.end) this.fail(field, 'unexpected end of data');
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128 of at most 32 bits (§5.2.2). */
  u32(field: string): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8(field);
      if (i === 4 && b > 0x0f) this.fail(field, 'LEB128 value does not fit in 32 bits');
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    this.fail(field, 'LEB128 longer than 5 bytes');
  }

  u64(field: string): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      const b = this.u8(field);
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    this.fail(field, 'LEB128 longer than 10 bytes');
  }

  name(field: string): string {
    const len = this.u32(`${field} length`);
    if (len > this.end - this.pos) this.fail(field, `name of ${len} bytes runs past the end of its section`);
    const s = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    try {
      return utf8.decode(s);
    } catch {
      this.fail(field, 'name is not valid UTF-8');
    }
  }

  count(field: string, minBytesEach: number): number {
    const n = this.u32(field);
    if (n * minBytesEach > this.end - this.pos)
      this.fail(field, `${n} entries cannot fit in the remaining ${this.end - this.pos} bytes`);
    return n;
  }

  limits(field: string): MemoryLimits {
    const flags = this.u8(`${field} flags`);
    if (flags > 7) this.fail(`${field} flags`, `unknown limits flags 0x${flags.toString(16)}`);
    const memory64 = (flags & 4) !== 0;
    const minPages = memory64 ? this.u64(`${field} min`) : this.u32(`${field} min`);
    const hasMax = (flags & 1) !== 0;
    const maxPages = hasMax ? (memory64 ? this.u64(`${field} max`) : this.u32(`${field} max`)) : undefined;
    return maxPages === undefined
      ? { minPages, shared: (flags & 2) !== 0, memory64 }
      : { minPages, maxPages, shared: (flags & 2) !== 0, memory64 };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Bounded reads of ELF64 data in either byte order (gABI ch. 4, "Data Representation": Elf64_Half
// is 2 bytes, Elf64_Word 4, Elf64_Xword/Addr/Off 8, all in the order EI_DATA names). Every read is
// checked against the buffer first, so a truncated or corrupt file is an ElfFormatError.
import { ElfFormatError } from './elf-format-error.js';

export class ElfReader {
  readonly view: DataView;
  readonly length: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength;
  }

  /** Throws unless [offset, offset + size) lies inside the buffer. */
  check(field: string, offset: number, size: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || size < 0 || offset + size > this.length) {
      throw new ElfFormatError(
        field,
        offset,
        `${size} bytes at ${offset} run past the end of the ${this.length}-byte file`,
      );
    }
  }

  u8(field: string, offset: number): number {
    this.check(field, offset, 1);
    return this.view.getUint8(offset);
  }

  u16(field: string, offset: number): number {
    this.check(field, offset, 2);
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(field: string, offset: number): number {
    this.check(field, offset, 4);
    return this.view.getUint32(offset, this.littleEndian);
  }

  u64(field: string, offset: number): bigint {
    this.check(field, offset, 8);
    return this.view.getBigUint64(offset, this.littleEndian);
  }

  i64(field: string, offset: number): bigint {
    this.check(field, offset, 8);
    return this.view.getBigInt64(offset, this.littleEndian);
  }

  /**
   * A file range given by 64-bit offset and size fields: checked to lie in the buffer, returned as
   * numbers (a file that fits in memory has offsets below 2^53).
   */
  range(field: string, at: number, offset: bigint, size: bigint): { offset: number; size: number } {
    const len = BigInt(this.length);
    if (offset > len || size > len - offset) {
      throw new ElfFormatError(
        field,
        at,
        `range of ${size} bytes at ${offset} runs past the end of the ${this.length}-byte file`,
      );
    }
    return { offset: Number(offset), size: Number(size) };
  }
}

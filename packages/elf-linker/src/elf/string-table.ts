// String tables (gABI ch. 4, "String Table"): NUL-terminated byte strings indexed by byte offset
// into a section. A name index past the table, or a string with no terminating NUL inside it, is
// an ElfFormatError. Names are decoded as UTF-8 with replacement (the gABI does not fix an encoding).
import { ElfFormatError } from './elf-format-error.js';

const utf8 = new TextDecoder('utf-8');

export class StringTable {
  /** bytes: the table's content; fileOffset: where it starts in the file (for error offsets). */
  constructor(
    readonly bytes: Uint8Array,
    readonly fileOffset: number,
    readonly field: string,
  ) {}

  get(index: number): string {
    if (index >= this.bytes.byteLength) {
      if (index === 0) return ''; // an empty table still names "" (readelf treats it so)
      throw new ElfFormatError(
        this.field,
        this.fileOffset,
        `string index ${index} past the end of the ${this.bytes.byteLength}-byte table`,
      );
    }
    const end = this.bytes.indexOf(0, index);
    if (end < 0)
      throw new ElfFormatError(this.field, this.fileOffset + index, `string at index ${index} has no terminating NUL`);
    return utf8.decode(this.bytes.subarray(index, end));
  }
}

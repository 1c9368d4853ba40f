// The error every ELF parse failure is: a FormatError (kernel-api) whose format is "elf", naming
// the field that was wrong and the file offset where it was read. A bad ELF file is an error value,
// never a RangeError from a typed-array access (STYLE.md, "Errors").
import { FormatError } from '@osv-ts/kernel-api';

export class ElfFormatError extends FormatError {
  constructor(field: string, offset: number, detail: string) {
    super('elf', field, offset, detail);
  }
}

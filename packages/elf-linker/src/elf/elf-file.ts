// parseElf: a whole ELF64 file, every structure read with its offsets and sizes checked against
// the buffer. The entry point of the toolkit; each structure lives in its own module.
import { parseDynamicSection } from './dynamic-section.js';
import type { DynamicSection } from './dynamic-section.js';
import { ElfFormatError } from './elf-format-error.js';
import { parseElfHeader } from './elf-header.js';
import type { ElfHeader } from './elf-header.js';
import { parseNotes } from './elf-note.js';
import type { ElfNote } from './elf-note.js';
import { parseSymbolTable } from './elf-symbol.js';
import type { SymbolTable } from './elf-symbol.js';
import { parseProgramHeaders, PT_INTERP } from './program-header.js';
import type { ProgramHeader } from './program-header.js';
import { parseSectionHeaders, SHT_DYNSYM, SHT_SYMTAB } from './section-header.js';
import type { SectionHeader } from './section-header.js';
import { parseSymbolVersions } from './symbol-version.js';
import type { SymbolVersions } from './symbol-version.js';
import { parseTlsSegment } from './tls-segment.js';
import { parseRelocationSections } from './relocation.js';
import type { RelocationSection } from './relocation.js';
import { parseHashTables } from './hash-table.js';
import type { SymbolHashTable } from './hash-table.js';
import type { TlsSegment } from './tls-segment.js';

export interface ElfFile {
  readonly header: ElfHeader;
  readonly programHeaders: ProgramHeader[];
  readonly sections: SectionHeader[];
  /** .symtab (SHT_SYMTAB), absent in stripped files. */
  readonly symtab?: SymbolTable;
  /** .dynsym (SHT_DYNSYM). */
  readonly dynsym?: SymbolTable;
  readonly dynamic?: DynamicSection;
  /** SHT_RELA, SHT_REL and SHT_RELR sections, in section order. */
  readonly relocations: RelocationSection[];
  /** The .dynsym hash tables, DT_GNU_HASH first then DT_HASH (either may be absent). */
  readonly hashTables: SymbolHashTable[];
  /** .gnu.version, .gnu.version_d, .gnu.version_r (symbolVersion() reads a symbol's). */
  readonly versions?: SymbolVersions;
  readonly notes: ElfNote[];
  readonly tls?: TlsSegment;
  /** PT_INTERP's path (the program interpreter, e.g. /lib64/ld-linux-x86-64.so.2). */
  readonly interpreter?: string;
}

const latin1 = new TextDecoder('latin1');

export function parseElf(bytes: Uint8Array): ElfFile {
  const { header, reader: r } = parseElfHeader(bytes);
  if (header.ehsize !== 64) throw new ElfFormatError('e_ehsize', 52, `${header.ehsize}, expected 64 for ELF64`);
  const { sections, phnum } = parseSectionHeaders(r, header);
  const programHeaders = parseProgramHeaders(r, header, phnum);
  let symtab: SymbolTable | undefined;
  let dynsym: SymbolTable | undefined;
  for (const s of sections) {
    if (s.type === SHT_SYMTAB && symtab === undefined) symtab = parseSymbolTable(r, sections, s);
    else if (s.type === SHT_DYNSYM && dynsym === undefined) dynsym = parseSymbolTable(r, sections, s);
  }
  const interp = programHeaders.find((p) => p.type === PT_INTERP);
  let interpreter: string | undefined;
  if (interp !== undefined) {
    const { offset, size } = r.range('PT_INTERP p_offset/p_filesz', 0, interp.offset, interp.filesz);
    const path = bytes.subarray(offset, offset + size);
    const nul = path.indexOf(0);
    interpreter = latin1.decode(nul < 0 ? path : path.subarray(0, nul));
  }
  const dynamic = parseDynamicSection(r, programHeaders, sections);
  const tls = parseTlsSegment(programHeaders, header.machine);
  const file: { -readonly [K in keyof ElfFile]: ElfFile[K] } = {
    header,
    programHeaders,
    sections,
    notes: parseNotes(r, programHeaders, sections),
    relocations: parseRelocationSections(r, sections, header.machine),
    hashTables: dynsym === undefined ? [] : parseHashTables(r, sections, dynsym.sectionIndex, dynsym.symbols),
  };
  if (symtab !== undefined) file.symtab = symtab;
  if (dynsym !== undefined) file.dynsym = dynsym;
  if (dynamic !== undefined) file.dynamic = dynamic;
  if (tls !== undefined) file.tls = tls;
  const versions = parseSymbolVersions(r, sections);
  if (versions !== undefined) file.versions = versions;
  if (interpreter !== undefined) file.interpreter = interpreter;
  return file;
}

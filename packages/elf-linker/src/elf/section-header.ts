// Section headers (gABI ch. 4, "Sections", Figures 4-8 to 4-12; GNU types from the LSB Core spec
// §10.2 "Sections"). Handles the extended-numbering escapes of section 0: e_shnum 0 (count in
// sh_size) and e_shstrndx SHN_XINDEX (index in sh_link), and e_phnum PN_XNUM (count in sh_info).
// The file range of every section that occupies file space (not SHT_NOBITS) is checked.
import { ElfFormatError } from './elf-format-error.js';
import type { ElfHeader } from './elf-header.js';
import type { ElfReader } from './elf-reader.js';
import { StringTable } from './string-table.js';

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_SHLIB = 10;
export const SHT_DYNSYM = 11;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
export const SHT_PREINIT_ARRAY = 16;
export const SHT_GROUP = 17;
export const SHT_SYMTAB_SHNDX = 18;
export const SHT_RELR = 19;
export const SHT_GNU_ATTRIBUTES = 0x6ffffff5;
export const SHT_GNU_HASH = 0x6ffffff6;
export const SHT_GNU_LIBLIST = 0x6ffffff7;
export const SHT_GNU_VERDEF = 0x6ffffffd;
export const SHT_GNU_VERNEED = 0x6ffffffe;
export const SHT_GNU_VERSYM = 0x6fffffff;
export const SHT_X86_64_UNWIND = 0x70000001;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_MERGE = 0x10;
export const SHF_STRINGS = 0x20;
export const SHF_INFO_LINK = 0x40;
export const SHF_LINK_ORDER = 0x80;
export const SHF_OS_NONCONFORMING = 0x100;
export const SHF_GROUP = 0x200;
export const SHF_TLS = 0x400;
export const SHF_COMPRESSED = 0x800;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

/** Size of an Elf64_Shdr. */
export const ELF64_SHDR_BYTES = 64;

export interface SectionHeader {
  readonly index: number;
  /** The name from the section header string table ("" when there is none). */
  readonly name: string;
  readonly nameIndex: number;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly link: number;
  readonly info: number;
  readonly addralign: bigint;
  readonly entsize: bigint;
}

const NAMES: Record<number, string> = {
  [SHT_NULL]: 'NULL',
  [SHT_PROGBITS]: 'PROGBITS',
  [SHT_SYMTAB]: 'SYMTAB',
  [SHT_STRTAB]: 'STRTAB',
  [SHT_RELA]: 'RELA',
  [SHT_HASH]: 'HASH',
  [SHT_DYNAMIC]: 'DYNAMIC',
  [SHT_NOTE]: 'NOTE',
  [SHT_NOBITS]: 'NOBITS',
  [SHT_REL]: 'REL',
  [SHT_SHLIB]: 'SHLIB',
  [SHT_DYNSYM]: 'DYNSYM',
  [SHT_INIT_ARRAY]: 'INIT_ARRAY',
  [SHT_FINI_ARRAY]: 'FINI_ARRAY',
  [SHT_PREINIT_ARRAY]: 'PREINIT_ARRAY',
  [SHT_GROUP]: 'GROUP',
  [SHT_SYMTAB_SHNDX]: 'SYMTAB SECTION INDICES',
  [SHT_RELR]: 'RELR',
  [SHT_GNU_ATTRIBUTES]: 'GNU_ATTRIBUTES',
  [SHT_GNU_HASH]: 'GNU_HASH',
  [SHT_GNU_LIBLIST]: 'GNU_LIBLIST',
  [SHT_GNU_VERDEF]: 'VERDEF',
  [SHT_GNU_VERNEED]: 'VERNEED',
  [SHT_GNU_VERSYM]: 'VERSYM',
};

/** The section type's name as readelf prints it for x86-64 (psABI §4.2.1 adds X86_64_UNWIND). */
export function sectionTypeName(type: number, machine: number): string {
  const name = NAMES[type];
  if (name !== undefined) return name;
  if (machine === 62 && type === SHT_X86_64_UNWIND) return 'X86_64_UNWIND';
  if (type >= 0x70000000 && type <= 0x7fffffff) return `LOPROC+0x${(type - 0x70000000).toString(16)}`;
  if (type >= 0x60000000 && type <= 0x6fffffff) return `LOOS+0x${(type - 0x60000000).toString(16)}`;
  if (type >= 0x80000000) return `LOUSER+0x${(type - 0x80000000).toString(16)}`;
  return `0x${type.toString(16)}`;
}

export interface SectionTable {
  readonly sections: SectionHeader[];
  /** The real program header count (e_phnum, or section 0's sh_info when e_phnum is PN_XNUM). */
  readonly phnum: number;
  readonly shstrndx: number;
}

export function parseSectionHeaders(r: ElfReader, h: ElfHeader): SectionTable {
  let phnum = h.phnum;
  if (h.shoff === 0n) {
    return { sections: [], phnum, shstrndx: h.shstrndx };
  }
  if (h.shentsize !== ELF64_SHDR_BYTES) {
    throw new ElfFormatError('e_shentsize', 58, `${h.shentsize}, expected ${ELF64_SHDR_BYTES} for ELF64`);
  }
  const first = r.range('e_shoff', 40, h.shoff, BigInt(ELF64_SHDR_BYTES));
  let shnum = h.shnum;
  let shstrndx = h.shstrndx;
  if (shnum === 0) {
    const size = r.u64('section 0 sh_size (extended e_shnum)', first.offset + 32);
    if (size > BigInt(r.length / ELF64_SHDR_BYTES))
      throw new ElfFormatError(
        'section 0 sh_size (extended e_shnum)',
        first.offset + 32,
        `${size} sections cannot fit in the file`,
      );
    shnum = Number(size);
  }
  if (shstrndx === SHN_XINDEX) shstrndx = r.u32('section 0 sh_link (extended e_shstrndx)', first.offset + 40);
  if (phnum === 0xffff) phnum = r.u32('section 0 sh_info (extended e_phnum)', first.offset + 44);
  const table = r.range('e_shoff/e_shnum', 40, h.shoff, BigInt(shnum) * BigInt(ELF64_SHDR_BYTES));
  const raw: Omit<SectionHeader, 'name'>[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = table.offset + i * ELF64_SHDR_BYTES;
    const s = {
      index: i,
      nameIndex: r.u32('sh_name', at),
      type: r.u32('sh_type', at + 4),
      flags: r.u64('sh_flags', at + 8),
      addr: r.u64('sh_addr', at + 16),
      offset: r.u64('sh_offset', at + 24),
      size: r.u64('sh_size', at + 32),
      link: r.u32('sh_link', at + 40),
      info: r.u32('sh_info', at + 44),
      addralign: r.u64('sh_addralign', at + 48),
      entsize: r.u64('sh_entsize', at + 56),
    };
    if (s.type !== SHT_NOBITS && s.type !== SHT_NULL)
      r.range(`section ${i} sh_offset/sh_size`, at + 24, s.offset, s.size);
    raw.push(s);
  }
  let names: StringTable | undefined;
  if (shstrndx !== SHN_UNDEF && shnum > 0) {
    const strtab = raw[shstrndx];
    if (strtab === undefined)
      throw new ElfFormatError('e_shstrndx', 62, `section ${shstrndx} does not exist (${shnum} sections)`);
    if (strtab.type === SHT_NOBITS) throw new ElfFormatError('e_shstrndx', 62, `section ${shstrndx} has no file data`);
    names = sectionStrings(r, strtab, 'section header string table');
  }
  const sections = raw.map((s) => ({ ...s, name: names === undefined ? '' : names.get(s.nameIndex) }));
  return { sections, phnum, shstrndx };
}

/** The bytes of a section that occupies file space (checked when the headers were parsed). */
export function sectionBytes(r: ElfReader, s: Pick<SectionHeader, 'index' | 'offset' | 'size' | 'type'>): Uint8Array {
  if (s.type === SHT_NOBITS) return new Uint8Array(0);
  const { offset, size } = r.range(`section ${s.index} sh_offset/sh_size`, offset0(s), s.offset, s.size);
  return r.bytes.subarray(offset, offset + size);
}

function offset0(s: Pick<SectionHeader, 'offset'>): number {
  return s.offset > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(s.offset);
}

export function sectionStrings(
  r: ElfReader,
  s: Pick<SectionHeader, 'index' | 'offset' | 'size' | 'type'>,
  field: string,
): StringTable {
  return new StringTable(sectionBytes(r, s), offset0(s), field);
}

// Symbol tables, .symtab (SHT_SYMTAB) and .dynsym (SHT_DYNSYM) (gABI ch. 4, "Symbol Table",
// Figures 4-15 to 4-21; STT_GNU_IFUNC and STB_GNU_UNIQUE from the GNU extensions, LSB Core §10.7).
// Symbol versions (.gnu.version) are not applied here: names are the bare string-table names.
import { ElfFormatError } from './elf-format-error.js';
import type { ElfReader } from './elf-reader.js';
import {
  SHN_ABS,
  SHN_COMMON,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_STRTAB,
  sectionStrings,
} from './section-header.js';
import type { SectionHeader } from './section-header.js';

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STB_GNU_UNIQUE = 10;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_COMMON = 5;
export const STT_TLS = 6;
export const STT_GNU_IFUNC = 10;

export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STV_PROTECTED = 3;

/** Size of an Elf64_Sym. */
export const ELF64_SYM_BYTES = 24;

export interface ElfSymbol {
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  /** ELF64_ST_TYPE(st_info). */
  readonly type: number;
  /** ELF64_ST_BIND(st_info). */
  readonly binding: number;
  /** ELF64_ST_VISIBILITY(st_other). */
  readonly visibility: number;
  /** st_shndx: a section index or one of SHN_UNDEF, SHN_ABS, SHN_COMMON, SHN_XINDEX… */
  readonly shndx: number;
}

export interface SymbolTable {
  /** The section's name, ".symtab" or ".dynsym" in a linked file. */
  readonly section: string;
  readonly sectionIndex: number;
  readonly symbols: ElfSymbol[];
}

const TYPE_NAMES = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE', 'COMMON', 'TLS'];
const BIND_NAMES = ['LOCAL', 'GLOBAL', 'WEAK'];
const VIS_NAMES = ['DEFAULT', 'INTERNAL', 'HIDDEN', 'PROTECTED'];

/** readelf's Type column. IFUNC is a GNU extension, as readelf names it for ELFOSABI_NONE/GNU. */
export function symbolTypeName(type: number, osAbi: number): string {
  const name = TYPE_NAMES[type];
  if (name !== undefined) return name;
  if (type === STT_GNU_IFUNC && (osAbi === 0 || osAbi === 3 || osAbi === 9)) return 'IFUNC';
  if (type >= 13) return `<processor specific>: ${type}`;
  if (type >= 10) return `<OS specific>: ${type}`;
  return `<unknown>: ${type}`;
}

/** readelf's Bind column. UNIQUE is a GNU extension, named so only in ELFOSABI_GNU files. */
export function symbolBindingName(binding: number, osAbi: number): string {
  const name = BIND_NAMES[binding];
  if (name !== undefined) return name;
  if (binding === STB_GNU_UNIQUE && osAbi === 3) return 'UNIQUE';
  if (binding >= 13) return `<processor specific>: ${binding}`;
  if (binding >= 10) return `<OS specific>: ${binding}`;
  return `<unknown>: ${binding}`;
}

export function symbolVisibilityName(visibility: number): string {
  return VIS_NAMES[visibility & 3]!;
}

/** readelf's Ndx column: UND, ABS, COM, or the section number. */
export function symbolSectionIndexName(shndx: number): string {
  if (shndx === SHN_UNDEF) return 'UND';
  if (shndx === SHN_ABS) return 'ABS';
  if (shndx === SHN_COMMON) return 'COM';
  if (shndx === SHN_XINDEX) return 'XINDEX';
  if (shndx >= SHN_LORESERVE) return `RSV[0x${shndx.toString(16).padStart(4, '0')}]`;
  return String(shndx);
}

export function parseSymbolTable(r: ElfReader, sections: readonly SectionHeader[], s: SectionHeader): SymbolTable {
  const where = Number(s.offset);
  if (s.entsize !== BigInt(ELF64_SYM_BYTES)) {
    throw new ElfFormatError(
      `${s.name || 'symbol table'} sh_entsize`,
      where,
      `${s.entsize}, expected ${ELF64_SYM_BYTES}`,
    );
  }
  const { offset, size } = r.range(`${s.name || 'symbol table'} sh_offset/sh_size`, where, s.offset, s.size);
  const strSection = sections[s.link];
  if (strSection === undefined || strSection.type !== SHT_STRTAB) {
    throw new ElfFormatError(`${s.name || 'symbol table'} sh_link`, where, `section ${s.link} is not a string table`);
  }
  const strings = sectionStrings(r, strSection, `${strSection.name || 'string table'}`);
  const count = Math.floor(size / ELF64_SYM_BYTES);
  const symbols: ElfSymbol[] = new Array<ElfSymbol>(count);
  for (let i = 0; i < count; i++) {
    const at = offset + i * ELF64_SYM_BYTES;
    const info = r.u8('st_info', at + 4);
    const other = r.u8('st_other', at + 5);
    symbols[i] = {
      name: strings.get(r.u32('st_name', at)),
      type: info & 0xf,
      binding: info >> 4,
      visibility: other & 3,
      shndx: r.u16('st_shndx', at + 6),
      value: r.u64('st_value', at + 8),
      size: r.u64('st_size', at + 16),
    };
  }
  return { section: s.name, sectionIndex: s.index, symbols };
}

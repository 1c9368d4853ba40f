// The dynamic section (gABI ch. 5, "Dynamic Section", Figure 5-10; DT_FLAGS in "Dynamic Section
// Names"; DT_GNU_HASH, DT_VERSYM and DT_FLAGS_1 from the LSB Core spec §11.3 and glibc's elf.h
// numbering). Entries are read up to DT_NULL; DT_NEEDED, DT_SONAME, DT_RPATH and DT_RUNPATH are
// resolved against DT_STRTAB, found as ld.so finds it: by address, through the PT_LOAD segments.
import { ElfFormatError } from './elf-format-error.js';
import type { ElfReader } from './elf-reader.js';
import { fileOffsetOfAddress, PT_DYNAMIC } from './program-header.js';
import type { ProgramHeader } from './program-header.js';
import { SHT_DYNAMIC, SHT_STRTAB, sectionStrings } from './section-header.js';
import type { SectionHeader } from './section-header.js';
import { StringTable } from './string-table.js';

export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_STRTAB = 5;
export const DT_STRSZ = 10;
export const DT_SONAME = 14;
export const DT_RPATH = 15;
export const DT_RUNPATH = 29;
export const DT_FLAGS = 30;
export const DT_FLAGS_1 = 0x6ffffffb;

/** DT_FLAGS bits (gABI "Dynamic Section Names"). */
export const DF_ORIGIN = 0x1;
export const DF_SYMBOLIC = 0x2;
export const DF_TEXTREL = 0x4;
export const DF_BIND_NOW = 0x8;
export const DF_STATIC_TLS = 0x10;
/** DT_FLAGS_1 bits (glibc elf.h). */
export const DF_1_NOW = 0x1;
export const DF_1_PIE = 0x8000000;

/** Size of an Elf64_Dyn. */
export const ELF64_DYN_BYTES = 16;

export interface DynamicEntry {
  readonly tag: bigint;
  readonly value: bigint;
}

export interface DynamicSection {
  /** Every entry before DT_NULL, in file order. */
  readonly entries: DynamicEntry[];
  readonly needed: string[];
  readonly soname?: string;
  readonly rpath?: string;
  readonly runpath?: string;
  readonly flags?: bigint;
  readonly flags1?: bigint;
}

export function parseDynamicSection(
  r: ElfReader,
  phdrs: readonly ProgramHeader[],
  sections: readonly SectionHeader[],
): DynamicSection | undefined {
  // readelf reads the SHT_DYNAMIC section when there is one; the loader reads PT_DYNAMIC.
  const section = sections.find((s) => s.type === SHT_DYNAMIC);
  const segment = phdrs.find((p) => p.type === PT_DYNAMIC);
  let start: number;
  let size: number;
  if (section !== undefined) {
    ({ offset: start, size } = r.range(
      '.dynamic sh_offset/sh_size',
      Number(section.offset),
      section.offset,
      section.size,
    ));
  } else if (segment !== undefined) {
    ({ offset: start, size } = r.range(
      'PT_DYNAMIC p_offset/p_filesz',
      Number(segment.offset),
      segment.offset,
      segment.filesz,
    ));
  } else {
    return undefined;
  }
  const entries: DynamicEntry[] = [];
  for (let at = start; at + ELF64_DYN_BYTES <= start + size; at += ELF64_DYN_BYTES) {
    const tag = r.i64('d_tag', at);
    if (tag === BigInt(DT_NULL)) break;
    entries.push({ tag, value: r.u64('d_un', at + 8) });
  }
  const strings = dynamicStrings(r, phdrs, sections, section, entries, start);
  const str = (e: DynamicEntry): string => {
    if (strings === undefined)
      throw new ElfFormatError('DT_STRTAB', start, 'string-valued dynamic entry without a string table');
    if (e.value > 0xffffffffn) throw new ElfFormatError('d_val', start, `string index ${e.value} out of range`);
    return strings.get(Number(e.value));
  };
  const out: { -readonly [K in keyof DynamicSection]: DynamicSection[K] } = { entries, needed: [] };
  for (const e of entries) {
    const tag = Number(e.tag);
    if (tag === DT_NEEDED) out.needed.push(str(e));
    else if (tag === DT_SONAME) out.soname = str(e);
    else if (tag === DT_RPATH) out.rpath = str(e);
    else if (tag === DT_RUNPATH) out.runpath = str(e);
    else if (tag === DT_FLAGS) out.flags = e.value;
    else if (tag === DT_FLAGS_1) out.flags1 = e.value;
  }
  return out;
}

function dynamicStrings(
  r: ElfReader,
  phdrs: readonly ProgramHeader[],
  sections: readonly SectionHeader[],
  section: SectionHeader | undefined,
  entries: readonly DynamicEntry[],
  at: number,
): StringTable | undefined {
  if (section !== undefined) {
    const link = sections[section.link];
    if (link !== undefined && link.type === SHT_STRTAB) return sectionStrings(r, link, '.dynstr');
  }
  const addr = entries.find((e) => e.tag === BigInt(DT_STRTAB))?.value;
  const size = entries.find((e) => e.tag === BigInt(DT_STRSZ))?.value;
  if (addr === undefined || size === undefined) return undefined;
  const offset = fileOffsetOfAddress(phdrs, addr, size);
  if (offset === undefined)
    throw new ElfFormatError(
      'DT_STRTAB/DT_STRSZ',
      at,
      `address 0x${addr.toString(16)} (+${size}) is not in a PT_LOAD segment's file image`,
    );
  return new StringTable(r.bytes.subarray(offset, offset + Number(size)), offset, 'DT_STRTAB');
}

const DF_NAMES = ['ORIGIN', 'SYMBOLIC', 'TEXTREL', 'BIND_NOW', 'STATIC_TLS'];
const DF_1_NAMES = [
  'NOW', 'GLOBAL', 'GROUP', 'NODELETE', 'LOADFLTR', 'INITFIRST', 'NOOPEN', 'ORIGIN', 'DIRECT', 'TRANS', 'INTERPOSE',
  'NODEFLIB', 'NODUMP', 'CONFALT', 'ENDFILTEE', 'DISPRELDNE', 'DISPRELPND', 'NODIRECT', 'IGNMULDEF', 'NOKSYMS', 'NOHDR',
  'EDITED', 'NORELOC', 'SYMINTPOSE', 'GLOBAUDIT', 'SINGLETON', 'STUB', 'PIE', 'KMOD', 'WEAKFILTER', 'NOCOMMON',
]; // prettier-ignore

function flagNames(value: bigint, names: readonly string[]): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if (((value >> BigInt(bit)) & 1n) === 0n) continue;
    out.push(names[bit] ?? `0x${(1n << BigInt(bit)).toString(16)}`);
  }
  return out;
}

/** DT_FLAGS bit names, lowest bit first (gABI "Dynamic Section Names"). */
export function dynamicFlagNames(flags: bigint): string[] {
  return flagNames(flags, DF_NAMES);
}

/** DT_FLAGS_1 bit names, lowest bit first (glibc elf.h DF_1_*). */
export function dynamicFlags1Names(flags1: bigint): string[] {
  return flagNames(flags1, DF_1_NAMES);
}

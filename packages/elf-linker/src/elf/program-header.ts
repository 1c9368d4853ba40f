// Program headers (gABI ch. 5, "Program Header", Figure 5-1; GNU segment types from the LSB Core
// spec §11.2, "Program Header"). Each Elf64_Phdr is checked to lie in the file, and so is the file
// image of each segment (p_offset + p_filesz), except PT_NULL entries, which carry no data.
import { ElfFormatError } from './elf-format-error.js';
import type { ElfHeader } from './elf-header.js';
import type { ElfReader } from './elf-reader.js';

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_SHLIB = 5;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;
export const PT_GNU_PROPERTY = 0x6474e553;
export const PT_GNU_SFRAME = 0x6474e554;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

/** Size of an Elf64_Phdr. */
export const ELF64_PHDR_BYTES = 56;
/** e_phnum's escape (gABI "Program Header"): the real count is in section 0's sh_info. */
export const PN_XNUM = 0xffff;

export interface ProgramHeader {
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
}

const NAMES: Record<number, string> = {
  [PT_NULL]: 'NULL',
  [PT_LOAD]: 'LOAD',
  [PT_DYNAMIC]: 'DYNAMIC',
  [PT_INTERP]: 'INTERP',
  [PT_NOTE]: 'NOTE',
  [PT_SHLIB]: 'SHLIB',
  [PT_PHDR]: 'PHDR',
  [PT_TLS]: 'TLS',
  [PT_GNU_EH_FRAME]: 'GNU_EH_FRAME',
  [PT_GNU_STACK]: 'GNU_STACK',
  [PT_GNU_RELRO]: 'GNU_RELRO',
  [PT_GNU_PROPERTY]: 'GNU_PROPERTY',
  [PT_GNU_SFRAME]: 'GNU_SFRAME',
};

/** The segment type's name as readelf prints it (LOOS+0x…/LOPROC+0x… for unknown ones). */
export function segmentTypeName(type: number): string {
  const name = NAMES[type];
  if (name !== undefined) return name;
  if (type >= 0x70000000 && type <= 0x7fffffff) return `LOPROC+0x${(type - 0x70000000).toString(16)}`;
  if (type >= 0x60000000 && type <= 0x6fffffff) return `LOOS+0x${(type - 0x60000000).toString(16)}`;
  return `<unknown>: ${type.toString(16)}`;
}

export function parseProgramHeaders(r: ElfReader, h: ElfHeader, phnum: number): ProgramHeader[] {
  if (phnum === 0) return [];
  if (h.phentsize !== ELF64_PHDR_BYTES) {
    throw new ElfFormatError('e_phentsize', 54, `${h.phentsize}, expected ${ELF64_PHDR_BYTES} for ELF64`);
  }
  const table = r.range('e_phoff', 32, h.phoff, BigInt(phnum) * BigInt(ELF64_PHDR_BYTES));
  const out: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = table.offset + i * ELF64_PHDR_BYTES;
    const ph: ProgramHeader = {
      type: r.u32('p_type', at),
      flags: r.u32('p_flags', at + 4),
      offset: r.u64('p_offset', at + 8),
      vaddr: r.u64('p_vaddr', at + 16),
      paddr: r.u64('p_paddr', at + 24),
      filesz: r.u64('p_filesz', at + 32),
      memsz: r.u64('p_memsz', at + 40),
      align: r.u64('p_align', at + 48),
    };
    if (ph.type !== PT_NULL) r.range(`program header ${i} p_offset/p_filesz`, at + 8, ph.offset, ph.filesz);
    out.push(ph);
  }
  return out;
}

/** Maps a virtual address range to a file offset through the PT_LOAD segments (gABI ch. 5). */
export function fileOffsetOfAddress(phdrs: readonly ProgramHeader[], vaddr: bigint, size: bigint): number | undefined {
  for (const ph of phdrs) {
    if (ph.type !== PT_LOAD) continue;
    if (vaddr >= ph.vaddr && vaddr - ph.vaddr <= ph.filesz && size <= ph.filesz - (vaddr - ph.vaddr)) {
      return Number(ph.offset + (vaddr - ph.vaddr));
    }
  }
  return undefined;
}

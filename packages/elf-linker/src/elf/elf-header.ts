// The ELF header (gABI ch. 4, "ELF Header", Figure 4-3 and "ELF Identification"). Only ELFCLASS64
// is accepted: ELFCLASS32 files are refused with a clear error rather than misread. Both byte
// orders (ELFDATA2LSB, ELFDATA2MSB) are read.
import { ElfFormatError } from './elf-format-error.js';
import { ElfReader } from './elf-reader.js';

export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;
/** Size of an Elf64_Ehdr. */
export const ELF64_EHDR_BYTES = 64;

export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const EM_386 = 3;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;

export interface ElfHeader {
  /** EI_CLASS: always ELFCLASS64 here. */
  readonly elfClass: number;
  readonly littleEndian: boolean;
  /** EI_VERSION. */
  readonly identVersion: number;
  /** EI_OSABI (0 System V, 3 GNU/Linux, …). */
  readonly osAbi: number;
  readonly abiVersion: number;
  readonly type: number;
  readonly machine: number;
  readonly version: number;
  readonly entry: bigint;
  readonly phoff: bigint;
  readonly shoff: bigint;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  /** e_phnum as stored (PN_XNUM 0xffff means the count is in section 0's sh_info). */
  readonly phnum: number;
  readonly shentsize: number;
  /** e_shnum as stored (0 with a nonzero e_shoff means the count is in section 0's sh_size). */
  readonly shnum: number;
  /** e_shstrndx as stored (SHN_XINDEX means the index is in section 0's sh_link). */
  readonly shstrndx: number;
}

const MAGIC = [0x7f, 0x45, 0x4c, 0x46]; // "\x7fELF"

/** Reads the identification bytes and the header; returns the reader for the file's byte order. */
export function parseElfHeader(bytes: Uint8Array): { header: ElfHeader; reader: ElfReader } {
  if (bytes.byteLength < 16)
    throw new ElfFormatError('e_ident', 0, `a ${bytes.byteLength}-byte file is too short for e_ident`);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC[i])
      throw new ElfFormatError('e_ident[EI_MAG]', i, 'not an ELF file (magic is not \\x7fELF)');
  }
  const elfClass = bytes[4]!;
  if (elfClass === ELFCLASS32)
    throw new ElfFormatError('e_ident[EI_CLASS]', 4, 'ELFCLASS32 files are not supported (ELF64 only)');
  if (elfClass !== ELFCLASS64) throw new ElfFormatError('e_ident[EI_CLASS]', 4, `invalid class ${elfClass}`);
  const data = bytes[5]!;
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB)
    throw new ElfFormatError('e_ident[EI_DATA]', 5, `invalid data encoding ${data}`);
  const identVersion = bytes[6]!;
  if (identVersion !== EV_CURRENT)
    throw new ElfFormatError('e_ident[EI_VERSION]', 6, `version ${identVersion}, expected EV_CURRENT (1)`);
  const r = new ElfReader(bytes, data === ELFDATA2LSB);
  r.check('Elf64_Ehdr', 0, ELF64_EHDR_BYTES);
  const header: ElfHeader = {
    elfClass,
    littleEndian: r.littleEndian,
    identVersion,
    osAbi: bytes[7]!,
    abiVersion: bytes[8]!,
    type: r.u16('e_type', 16),
    machine: r.u16('e_machine', 18),
    version: r.u32('e_version', 20),
    entry: r.u64('e_entry', 24),
    phoff: r.u64('e_phoff', 32),
    shoff: r.u64('e_shoff', 40),
    flags: r.u32('e_flags', 48),
    ehsize: r.u16('e_ehsize', 52),
    phentsize: r.u16('e_phentsize', 54),
    phnum: r.u16('e_phnum', 56),
    shentsize: r.u16('e_shentsize', 58),
    shnum: r.u16('e_shnum', 60),
    shstrndx: r.u16('e_shstrndx', 62),
  };
  return { header, reader: r };
}

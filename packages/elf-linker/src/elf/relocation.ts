// Relocation sections (gABI ch. 4, "Relocation", Figure 4-22: Elf64_Rel, Elf64_Rela with r_info =
// sym << 32 | type; SHT_RELR from the gABI's 2022 addition, "Relative Relocation Table": an address
// word then bitmaps of the following 63 words). Type names: x86-64 psABI §4.4.1 Table 4.9 and
// "ELF for the Arm 64-bit Architecture" §5.7. The relocations are read, not applied.
import { ElfFormatError } from './elf-format-error.js';
import { EM_AARCH64, EM_X86_64 } from './elf-header.js';
import type { ElfReader } from './elf-reader.js';
import { SHT_REL, SHT_RELA, SHT_RELR } from './section-header.js';
import type { SectionHeader } from './section-header.js';

export interface Relocation {
  readonly offset: bigint;
  readonly info: bigint;
  /** ELF64_R_TYPE(r_info). */
  readonly type: number;
  /** ELF64_R_SYM(r_info): an index into the symbol table sh_link names (0: none). */
  readonly symbol: number;
  /** r_addend (RELA), or undefined for REL (the addend is in the relocated word). */
  readonly addend?: bigint;
}

export interface RelocationSection {
  readonly section: string;
  readonly sectionIndex: number;
  readonly kind: 'rela' | 'rel' | 'relr';
  /** The symbol table the entries refer to (sh_link). */
  readonly symbolTable: number;
  /** RELA/REL entries; for RELR, one R_*_RELATIVE entry (addend undefined) per address. */
  readonly relocations: Relocation[];
}

const X86_64 = [
  'NONE', '64', 'PC32', 'GOT32', 'PLT32', 'COPY', 'GLOB_DAT', 'JUMP_SLOT', 'RELATIVE', 'GOTPCREL', '32', '32S', '16',
  'PC16', '8', 'PC8', 'DTPMOD64', 'DTPOFF64', 'TPOFF64', 'TLSGD', 'TLSLD', 'DTPOFF32', 'GOTTPOFF', 'TPOFF32', 'PC64',
  'GOTOFF64', 'GOTPC32', 'GOT64', 'GOTPCREL64', 'GOTPC64', 'GOTPLT64', 'PLTOFF64', 'SIZE32', 'SIZE64',
  'GOTPC32_TLSDESC', 'TLSDESC_CALL', 'TLSDESC', 'IRELATIVE', 'RELATIVE64', undefined, undefined, 'GOTPCRELX',
  'REX_GOTPCRELX',
]; // prettier-ignore

const AARCH64: Record<number, string> = {
  0: 'NONE', 257: 'ABS64', 258: 'ABS32', 259: 'ABS16', 260: 'PREL64', 261: 'PREL32', 262: 'PREL16',
  275: 'ADR_PREL_PG_HI21', 276: 'ADR_PREL_PG_HI21_NC', 277: 'ADD_ABS_LO12_NC', 278: 'LDST8_ABS_LO12_NC',
  279: 'TSTBR14', 280: 'CONDBR19', 282: 'JUMP26', 283: 'CALL26', 284: 'LDST16_ABS_LO12_NC',
  285: 'LDST32_ABS_LO12_NC', 286: 'LDST64_ABS_LO12_NC', 299: 'LDST128_ABS_LO12_NC', 311: 'ADR_GOT_PAGE',
  312: 'LD64_GOT_LO12_NC', 1024: 'COPY', 1025: 'GLOB_DAT', 1026: 'JUMP_SLOT', 1027: 'RELATIVE',
  1028: 'TLS_DTPMOD', 1029: 'TLS_DTPREL', 1030: 'TLS_TPREL', 1031: 'TLSDESC', 1032: 'IRELATIVE',
}; // prettier-ignore

/** The relocation type's name, R_X86_64_… or R_AARCH64_…, or undefined when unknown. */
export function relocationTypeName(type: number, machine: number): string | undefined {
  if (machine === EM_X86_64) {
    const n = X86_64[type];
    return n === undefined ? undefined : `R_X86_64_${n}`;
  }
  if (machine === EM_AARCH64) {
    const n = AARCH64[type];
    return n === undefined ? undefined : `R_AARCH64_${n}`;
  }
  return undefined;
}

/** The R_*_RELATIVE type RELR entries stand for. */
function relativeType(machine: number): number {
  return machine === EM_AARCH64 ? 1027 : 8;
}

export function parseRelocationSections(
  r: ElfReader,
  sections: readonly SectionHeader[],
  machine: number,
): RelocationSection[] {
  const out: RelocationSection[] = [];
  for (const s of sections) {
    if (s.type !== SHT_RELA && s.type !== SHT_REL && s.type !== SHT_RELR) continue;
    const kind = s.type === SHT_RELA ? 'rela' : s.type === SHT_REL ? 'rel' : 'relr';
    const entBytes = kind === 'rela' ? 24 : kind === 'rel' ? 16 : 8;
    if (s.entsize !== BigInt(entBytes))
      throw new ElfFormatError(`${s.name} sh_entsize`, Number(s.offset), `${s.entsize}, expected ${entBytes}`);
    const { offset, size } = r.range(`${s.name} sh_offset/sh_size`, Number(s.offset), s.offset, s.size);
    const relocations: Relocation[] = [];
    const count = Math.floor(size / entBytes);
    if (kind === 'relr') {
      // Each even word is an address (relocate it, then continue after it); each odd word is a
      // bitmap: bit i (1..63) relocates base + (i - 1) * 8, then base moves on by 63 words.
      const type = relativeType(machine);
      let base = 0n;
      for (let i = 0; i < count; i++) {
        const word = r.u64('Elf64_Relr', offset + 8 * i);
        if ((word & 1n) === 0n) {
          relocations.push({ offset: word, info: BigInt(type), type, symbol: 0 });
          base = word + 8n;
        } else {
          for (let bit = 1n, at = base; bit < 64n; bit++, at += 8n) {
            if (((word >> bit) & 1n) !== 0n) relocations.push({ offset: at, info: BigInt(type), type, symbol: 0 });
          }
          base += 63n * 8n;
        }
      }
    } else {
      for (let i = 0; i < count; i++) {
        const at = offset + entBytes * i;
        const info = r.u64('r_info', at + 8);
        const rel: Relocation = {
          offset: r.u64('r_offset', at),
          info,
          type: Number(info & 0xffffffffn),
          symbol: Number(info >> 32n),
        };
        relocations.push(kind === 'rela' ? { ...rel, addend: r.i64('r_addend', at + 16) } : rel);
      }
    }
    out.push({ section: s.name, sectionIndex: s.index, kind, symbolTable: s.link, relocations });
  }
  return out;
}

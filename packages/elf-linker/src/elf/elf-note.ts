// Notes (gABI ch. 5, "Note Section", Figure 5-5) from SHT_NOTE sections, or from PT_NOTE segments
// when the file has no section headers. Decodes the GNU notes the LSB Core spec (§10.8, "ABI note
// tag") and the x86-64 psABI (§5.2.7, "Program Property") name: NT_GNU_ABI_TAG, NT_GNU_BUILD_ID,
// NT_GNU_PROPERTY_TYPE_0. Other notes are kept as owner, type and descriptor bytes.
import { ElfFormatError } from './elf-format-error.js';
import type { ElfReader } from './elf-reader.js';
import { PT_NOTE } from './program-header.js';
import type { ProgramHeader } from './program-header.js';
import { SHT_NOTE } from './section-header.js';
import type { SectionHeader } from './section-header.js';

export const NT_GNU_ABI_TAG = 1;
export const NT_GNU_BUILD_ID = 3;
export const NT_GNU_PROPERTY_TYPE_0 = 5;

export const GNU_PROPERTY_X86_FEATURE_1_AND = 0xc0000002;
export const GNU_PROPERTY_X86_ISA_1_NEEDED = 0xc0008002;

const ABI_TAG_OS = ['Linux', 'Hurd', 'Solaris', 'FreeBSD'];

export interface GnuProperty {
  readonly type: number;
  readonly data: Uint8Array;
}

export interface ElfNote {
  /** The section the note is in ("" when read from a PT_NOTE segment). */
  readonly section: string;
  readonly fileOffset: number;
  readonly owner: string;
  readonly type: number;
  readonly desc: Uint8Array;
  /** NT_GNU_BUILD_ID: the descriptor in lowercase hex. */
  readonly buildId?: string;
  /** NT_GNU_ABI_TAG: the OS and the earliest kernel version the file runs on. */
  readonly abiTag?: { readonly os: string; readonly version: readonly [number, number, number] };
  /** NT_GNU_PROPERTY_TYPE_0: the pr_type/pr_data pairs, each padded to 8 bytes in ELF64. */
  readonly properties?: GnuProperty[];
}

const ascii = new TextDecoder('latin1');

export function parseNotes(
  r: ElfReader,
  phdrs: readonly ProgramHeader[],
  sections: readonly SectionHeader[],
): ElfNote[] {
  const out: ElfNote[] = [];
  if (sections.length > 0) {
    for (const s of sections) {
      if (s.type !== SHT_NOTE) continue;
      const { offset, size } = r.range(`${s.name} sh_offset/sh_size`, Number(s.offset), s.offset, s.size);
      readNotes(r, offset, size, s.addralign, s.name, out);
    }
  } else {
    for (const p of phdrs) {
      if (p.type !== PT_NOTE) continue;
      const { offset, size } = r.range('PT_NOTE p_offset/p_filesz', Number(p.offset), p.offset, p.filesz);
      readNotes(r, offset, size, p.align, '', out);
    }
  }
  return out;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

function readNotes(
  r: ElfReader,
  start: number,
  size: number,
  alignField: bigint,
  section: string,
  out: ElfNote[],
): void {
  // Notes in 8-aligned sections (GNU property notes) pad name and descriptor to 8; all others to 4.
  const align = alignField === 8n ? 8 : 4;
  const end = start + size;
  let at = start;
  while (at + 12 <= end) {
    const namesz = r.u32('n_namesz', at);
    const descsz = r.u32('n_descsz', at + 4);
    const type = r.u32('n_type', at + 8);
    const descAt = at + alignUp(12 + namesz, align);
    if (12 + namesz > end - at || descAt > end || descsz > end - descAt) {
      throw new ElfFormatError(
        'n_namesz/n_descsz',
        at,
        `note of ${namesz}+${descsz} bytes runs past the end of its ${size}-byte ${section || 'segment'}`,
      );
    }
    const nameBytes = r.bytes.subarray(at + 12, at + 12 + namesz);
    const nul = nameBytes.indexOf(0);
    const owner = ascii.decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul));
    const desc = r.bytes.subarray(descAt, descAt + descsz);
    out.push(decodeNote(r, { section, fileOffset: at, owner, type, desc }, descAt));
    at = alignUp(descAt + descsz, align);
  }
}

function decodeNote(r: ElfReader, n: ElfNote, descAt: number): ElfNote {
  if (n.owner !== 'GNU') return n;
  if (n.type === NT_GNU_BUILD_ID) {
    let hex = '';
    for (const b of n.desc) hex += b.toString(16).padStart(2, '0');
    return { ...n, buildId: hex };
  }
  if (n.type === NT_GNU_ABI_TAG && n.desc.length >= 16) {
    const w = (i: number): number => r.u32('NT_GNU_ABI_TAG desc', descAt + 4 * i);
    const os = w(0);
    return { ...n, abiTag: { os: ABI_TAG_OS[os] ?? `<unknown: ${os}>`, version: [w(1), w(2), w(3)] } };
  }
  if (n.type === NT_GNU_PROPERTY_TYPE_0) {
    const properties: GnuProperty[] = [];
    let at = descAt;
    const end = descAt + n.desc.length;
    while (at + 8 <= end) {
      const type = r.u32('pr_type', at);
      const datasz = r.u32('pr_datasz', at + 4);
      if (datasz > end - at - 8)
        throw new ElfFormatError('pr_datasz', at + 4, `property data of ${datasz} bytes runs past its note`);
      properties.push({ type, data: r.bytes.subarray(at + 8, at + 8 + datasz) });
      at += 8 + alignUp(datasz, 8);
    }
    return { ...n, properties };
  }
  return n;
}

const X86_ISA = ['x86-64-baseline', 'x86-64-v2', 'x86-64-v3', 'x86-64-v4'];
const X86_FEATURE_1 = ['IBT', 'SHSTK', 'LAM_U48', 'LAM_U57'];

function bitNames(value: number, names: readonly string[]): string {
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++)
    if (((value >>> bit) & 1) !== 0) out.push(names[bit] ?? `<unknown: ${(1 << bit) >>> 0}>`);
  return out.join(', ');
}

/**
 * A GNU property as readelf words it, for the x86 properties of the x86-64 psABI §5.2.7
 * (GNU_PROPERTY_X86_ISA_1_NEEDED, GNU_PROPERTY_X86_FEATURE_1_AND); undefined for the others.
 */
export function gnuPropertyDescription(p: GnuProperty, littleEndian: boolean): string | undefined {
  if (p.data.length !== 4) return undefined;
  const value = new DataView(p.data.buffer, p.data.byteOffset, 4).getUint32(0, littleEndian);
  if (p.type === GNU_PROPERTY_X86_ISA_1_NEEDED) return `x86 ISA needed: ${bitNames(value, X86_ISA)}`;
  if (p.type === GNU_PROPERTY_X86_FEATURE_1_AND) return `x86 feature: ${bitNames(value, X86_FEATURE_1)}`;
  return undefined;
}

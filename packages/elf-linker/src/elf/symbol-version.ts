// GNU symbol versioning (LSB Core spec §10.7.2 "Symbol Versioning", §10.7.3 .gnu.version,
// §10.7.4 .gnu.version_d, §10.7.5 .gnu.version_r): one Elf64_Versym per .dynsym entry, the version
// definitions a library provides (Verdef/Verdaux chains) and the versions a file needs from each
// of its libraries (Verneed/Vernaux chains). Chain lengths are capped by the section's size, so a
// corrupt vd_next/vn_next cannot loop.
import { ElfFormatError } from './elf-format-error.js';
import type { ElfReader } from './elf-reader.js';
import { SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_GNU_VERSYM, SHT_STRTAB, sectionStrings } from './section-header.js';
import type { SectionHeader } from './section-header.js';
import type { StringTable } from './string-table.js';

/** Versym index 0: the symbol is local (not available outside the file). */
export const VER_NDX_LOCAL = 0;
/** Versym index 1: the unversioned global "base" definition. */
export const VER_NDX_GLOBAL = 1;
/** Versym bit 15: the version is hidden (not the default one a link picks). */
export const VERSYM_HIDDEN = 0x8000;
/** Verdef vd_flags: the definition of the file itself (its soname). */
export const VER_FLG_BASE = 0x1;
export const VER_FLG_WEAK = 0x2;

export interface VersionDefinition {
  readonly index: number;
  readonly flags: number;
  readonly hash: number;
  /** The version's name, then the names of the versions it inherits from. */
  readonly names: string[];
}

export interface VersionNeed {
  readonly name: string;
  /** The versym index symbols use for this version (vna_other). */
  readonly index: number;
  readonly flags: number;
  readonly hash: number;
}

export interface VersionRequirement {
  /** The library the versions are needed from (a DT_NEEDED name). */
  readonly file: string;
  readonly versions: VersionNeed[];
}

export interface SymbolVersions {
  /** .gnu.version: one entry per .dynsym symbol. */
  readonly versym?: Uint16Array;
  readonly definitions: VersionDefinition[];
  readonly requirements: VersionRequirement[];
}

export interface SymbolVersion {
  readonly name: string;
  readonly hidden: boolean;
  /** For a needed version, the library it comes from. */
  readonly file?: string;
  readonly index: number;
}

function linkedStrings(r: ElfReader, sections: readonly SectionHeader[], s: SectionHeader): StringTable {
  const link = sections[s.link];
  if (link === undefined || link.type !== SHT_STRTAB)
    throw new ElfFormatError(`${s.name} sh_link`, Number(s.offset), `section ${s.link} is not a string table`);
  return sectionStrings(r, link, link.name);
}

export function parseSymbolVersions(r: ElfReader, sections: readonly SectionHeader[]): SymbolVersions | undefined {
  let versym: Uint16Array | undefined;
  const definitions: VersionDefinition[] = [];
  const requirements: VersionRequirement[] = [];
  let any = false;
  for (const s of sections) {
    if (s.type !== SHT_GNU_VERSYM && s.type !== SHT_GNU_VERDEF && s.type !== SHT_GNU_VERNEED) continue;
    any = true;
    const { offset, size } = r.range(`${s.name} sh_offset/sh_size`, Number(s.offset), s.offset, s.size);
    if (s.type === SHT_GNU_VERSYM) {
      versym = new Uint16Array(Math.floor(size / 2));
      for (let i = 0; i < versym.length; i++) versym[i] = r.u16('Elf64_Versym', offset + 2 * i);
    } else if (s.type === SHT_GNU_VERDEF) {
      const strings = linkedStrings(r, sections, s);
      let at = offset;
      const count = Math.min(s.info, Math.floor(size / 20));
      for (let i = 0; i < count; i++) {
        if (at + 20 > offset + size) throw new ElfFormatError('vd_next', at, 'Verdef runs past the end of its section');
        const version = r.u16('vd_version', at);
        if (version !== 1) throw new ElfFormatError('vd_version', at, `version ${version}, expected 1`);
        const cnt = r.u16('vd_cnt', at + 6);
        const names: string[] = [];
        let aux = at + r.u32('vd_aux', at + 12);
        for (let j = 0; j < Math.min(cnt, Math.floor(size / 8)); j++) {
          if (aux + 8 > offset + size)
            throw new ElfFormatError('vda_next', aux, 'Verdaux runs past the end of its section');
          names.push(strings.get(r.u32('vda_name', aux)));
          const next = r.u32('vda_next', aux + 4);
          if (next === 0) break;
          aux += next;
        }
        definitions.push({
          index: r.u16('vd_ndx', at + 4),
          flags: r.u16('vd_flags', at + 2),
          hash: r.u32('vd_hash', at + 8),
          names,
        });
        const next = r.u32('vd_next', at + 16);
        if (next === 0) break;
        at += next;
      }
    } else {
      const strings = linkedStrings(r, sections, s);
      let at = offset;
      const count = Math.min(s.info, Math.floor(size / 16));
      for (let i = 0; i < count; i++) {
        if (at + 16 > offset + size)
          throw new ElfFormatError('vn_next', at, 'Verneed runs past the end of its section');
        const version = r.u16('vn_version', at);
        if (version !== 1) throw new ElfFormatError('vn_version', at, `version ${version}, expected 1`);
        const cnt = r.u16('vn_cnt', at + 2);
        const versions: VersionNeed[] = [];
        let aux = at + r.u32('vn_aux', at + 8);
        for (let j = 0; j < Math.min(cnt, Math.floor(size / 16)); j++) {
          if (aux + 16 > offset + size)
            throw new ElfFormatError('vna_next', aux, 'Vernaux runs past the end of its section');
          versions.push({
            hash: r.u32('vna_hash', aux),
            flags: r.u16('vna_flags', aux + 4),
            index: r.u16('vna_other', aux + 6),
            name: strings.get(r.u32('vna_name', aux + 8)),
          });
          const next = r.u32('vna_next', aux + 12);
          if (next === 0) break;
          aux += next;
        }
        requirements.push({ file: strings.get(r.u32('vn_file', at + 4)), versions });
        const next = r.u32('vn_next', at + 12);
        if (next === 0) break;
        at += next;
      }
    }
  }
  if (!any) return undefined;
  return versym === undefined ? { definitions, requirements } : { versym, definitions, requirements };
}

/** The version of .dynsym entry `symbolIndex`, or undefined for local/base (index 0, 1) or none. */
export function symbolVersion(v: SymbolVersions, symbolIndex: number): SymbolVersion | undefined {
  const raw = v.versym?.[symbolIndex];
  if (raw === undefined) return undefined;
  const index = raw & 0x7fff;
  if (index <= VER_NDX_GLOBAL) return undefined;
  const hidden = (raw & VERSYM_HIDDEN) !== 0;
  for (const d of v.definitions) if (d.index === index) return { name: d.names[0] ?? '', hidden, index };
  for (const req of v.requirements) {
    for (const n of req.versions) if (n.index === index) return { name: n.name, hidden, file: req.file, index };
  }
  return undefined;
}

// Reads the text of binutils `readelf -W -h -l -S -s -d -n` (2.40) into plain records, and compares
// them field by field with parseElf's output. Used by the interop test only (needs readelf).
import type { ElfFile } from '../src/elf/elf-file.js';
import { symbolVersion } from '../src/elf/symbol-version.js';
import { relocationTypeName } from '../src/elf/relocation.js';
import { gnuPropertyDescription } from '../src/elf/elf-note.js';
import { dynamicFlagNames, dynamicFlags1Names } from '../src/elf/dynamic-section.js';
import { segmentTypeName } from '../src/elf/program-header.js';
import { sectionTypeName } from '../src/elf/section-header.js';
import {
  symbolBindingName,
  symbolSectionIndexName,
  symbolTypeName,
  symbolVisibilityName,
} from '../src/elf/elf-symbol.js';

export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  addr: bigint;
  offset: bigint;
  size: bigint;
  entsize: bigint;
  flags: string;
  link: number;
  info: number;
  align: bigint;
}

export interface ReadelfSegment {
  type: string;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  flags: string;
  align: bigint;
}

export interface ReadelfSymbol {
  num: number;
  value: bigint;
  size: bigint;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}

export interface ReadelfDynamic {
  tag: bigint;
  kind: string;
  value: string;
}

export interface ReadelfRelocation {
  offset: bigint;
  info: bigint;
  type: string;
  /** "name + addend" as shown, or just the addend for entries without a symbol. */
  rest: string;
}

export interface ReadelfOutput {
  relocationSections: Map<string, ReadelfRelocation[]>;
  header: Map<string, string>;
  sections: ReadelfSection[];
  segments: ReadelfSegment[];
  symbolTables: Map<string, ReadelfSymbol[]>;
  dynamic: ReadelfDynamic[];
  buildIds: string[];
  abiTags: string[];
  /** The text after "Properties: " of each NT_GNU_PROPERTY_TYPE_0 note. */
  properties: string[];
  /** Lines in a table that the reader could not parse (a test failure by themselves). */
  unparsed: string[];
}

const hex = (s: string): bigint => BigInt(`0x${s}`);

const SECTION_ROW =
  /^(.*?) +([A-Za-z0-9_+]+|SYMTAB SECTION INDICES) +([0-9a-f]{16}) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) +([A-Za-z]*) +(\d+) +(\d+) +(\d+)$/;
const SEGMENT_ROW =
  /^ {2}(\S+) +0x([0-9a-f]+) 0x([0-9a-f]{16}) 0x([0-9a-f]{16}) 0x([0-9a-f]+) 0x([0-9a-f]+) ([R ][W ][E ]) 0x([0-9a-f]+)$/;
const SYMBOL_ROW =
  /^ *(\d+): ([0-9a-f]{16}) +(0x[0-9a-f]+|\d+) (<[^>]+>: \d+|\S+) +(<[^>]+>: \d+|\S+) +(\S+) +(\S+) ?(.*)$/;
const RELOCATION_ROW = /^([0-9a-f]{16}) +([0-9a-f]{16}) (\S+)(?: +(.*))?$/;
const DYNAMIC_ROW = /^ 0x([0-9a-f]{16}) \((\S+)\) +(.*)$/;

export function parseReadelfText(text: string): ReadelfOutput {
  const out: ReadelfOutput = {
    header: new Map(),
    relocationSections: new Map(),
    sections: [],
    segments: [],
    symbolTables: new Map(),
    dynamic: [],
    buildIds: [],
    abiTags: [],
    properties: [],
    unparsed: [],
  };
  let mode = '';
  let symbols: ReadelfSymbol[] = [];
  let relocations: ReadelfRelocation[] = [];
  for (const line of text.split('\n')) {
    if (line === 'ELF Header:') mode = 'header';
    else if (line === 'Section Headers:') mode = 'sections';
    else if (line === 'Program Headers:') mode = 'segments';
    else if (line.startsWith('Key to Flags:') || line.startsWith(' Section to Segment mapping:')) mode = '';
    else if (line.startsWith('Symbol table ')) {
      const m = /^Symbol table '(.*)' contains \d+ entries:$/.exec(line);
      symbols = [];
      out.symbolTables.set(m?.[1] ?? line, symbols);
      mode = 'symbols';
    } else if (line.startsWith('Relocation section ')) {
      const m = /^Relocation section '(.*)' at offset 0x[0-9a-f]+ contains \d+ entr(y|ies):$/.exec(line);
      relocations = [];
      out.relocationSections.set(m?.[1] ?? line, relocations);
      mode = line.includes('.relr') ? 'relr' : 'relocations';
    } else if (line.startsWith('Dynamic section at offset')) mode = 'dynamic';
    else if (line.startsWith('Displaying notes found')) mode = 'notes';
    else if (line === '') {
      if (mode !== 'header' && mode !== 'notes') mode = '';
    } else if (mode === 'header') {
      const m = /^ {2}([^:]+): +(.*)$/.exec(line);
      if (m !== null && !out.header.has(m[1]!)) out.header.set(m[1]!, m[2]!.trim());
    } else if (mode === 'sections') {
      const row = /^ {2}\[ *(\d+)\] (.*)$/.exec(line);
      if (row === null) continue; // the column titles
      const m = SECTION_ROW.exec(row[2]!);
      if (m === null) {
        out.unparsed.push(line);
        continue;
      }
      out.sections.push({
        index: Number(row[1]),
        name: m[1]!.trim(),
        type: m[2]!,
        addr: hex(m[3]!),
        offset: hex(m[4]!),
        size: hex(m[5]!),
        entsize: hex(m[6]!),
        flags: m[7]!,
        link: Number(m[8]),
        info: Number(m[9]),
        align: BigInt(m[10]!),
      });
    } else if (mode === 'segments') {
      if (line.startsWith('  Type ') || line.startsWith('      [Requesting')) continue;
      const m = SEGMENT_ROW.exec(line);
      if (m === null) {
        out.unparsed.push(line);
        continue;
      }
      out.segments.push({
        type: m[1]!,
        offset: hex(m[2]!),
        vaddr: hex(m[3]!),
        paddr: hex(m[4]!),
        filesz: hex(m[5]!),
        memsz: hex(m[6]!),
        flags: m[7]!,
        align: hex(m[8]!),
      });
    } else if (mode === 'symbols') {
      if (line.startsWith('   Num:')) continue;
      const m = SYMBOL_ROW.exec(line);
      if (m === null) {
        out.unparsed.push(line);
        continue;
      }
      symbols.push({
        num: Number(m[1]),
        value: hex(m[2]!),
        size: BigInt(m[3]!),
        type: m[4]!,
        bind: m[5]!,
        vis: m[6]!,
        ndx: m[7]!,
        name: m[8]!,
      });
    } else if (mode === 'relocations') {
      if (line.startsWith('    Offset')) continue;
      const m = RELOCATION_ROW.exec(line);
      if (m === null) {
        out.unparsed.push(line);
        continue;
      }
      relocations.push({ offset: hex(m[1]!), info: hex(m[2]!), type: m[3]!, rest: (m[4] ?? '').trim() });
    } else if (mode === 'dynamic') {
      if (line.startsWith('  Tag')) continue;
      const m = DYNAMIC_ROW.exec(line);
      if (m === null) {
        out.unparsed.push(line);
        continue;
      }
      out.dynamic.push({ tag: hex(m[1]!), kind: m[2]!, value: m[3]! });
    } else if (mode === 'notes') {
      const id = /\t *Build ID: ([0-9a-f]+)$/.exec(line);
      if (id !== null) out.buildIds.push(id[1]!);
      const abi = /\t *OS: (\S+), ABI: (\d+\.\d+\.\d+)$/.exec(line);
      if (abi !== null) out.abiTags.push(`${abi[1]} ${abi[2]}`);
      const props = /\t *Properties: (.*)$/.exec(line);
      if (props !== null) out.properties.push(props[1]!.trim());
    }
  }
  return out;
}

const FLAG_BITS: Record<string, bigint> = {
  // R (SHF_GNU_RETAIN) and D (SHF_GNU_MBIND) are named only for ELFOSABI_GNU/FreeBSD files.
  W: 0x1n,
  A: 0x2n,
  X: 0x4n,
  M: 0x10n,
  S: 0x20n,
  I: 0x40n,
  L: 0x80n,
  O: 0x100n,
  G: 0x200n,
  T: 0x400n,
  C: 0x800n,
  R: 0x200000n,
  D: 0x1000000n,
  l: 0x10000000n,
  E: 0x80000000n,
};

const KNOWN_FLAG_BITS = Object.values(FLAG_BITS).reduce((a, b) => a | b, 0n);
const SHF_MASKOS = 0x0ff00000n;
const SHF_MASKPROC = 0xf0000000n;

/**
 * The bits readelf's Flg letters stand for, and which of our bits to compare: readelf prints
 * 'o' (or 'p') for OS- (processor-) specific bits it does not name for this OSABI, 'x' for others.
 */
function sectionFlagsFromLetters(letters: string): { bits: bigint; compared: bigint } {
  let bits = 0n;
  let compared = ~0n;
  for (const c of letters) {
    const b = FLAG_BITS[c];
    if (b !== undefined) bits |= b;
    else if (c === 'o') compared &= ~SHF_MASKOS;
    else if (c === 'p') compared &= ~SHF_MASKPROC;
    else compared &= KNOWN_FLAG_BITS;
  }
  return { bits: bits & compared, compared };
}

function segmentFlagsFromLetters(letters: string): number {
  return (letters[0] === 'R' ? 4 : 0) | (letters[1] === 'W' ? 2 : 0) | (letters[2] === 'E' ? 1 : 0);
}

/**
 * The name as readelf prints a .dynsym entry: with `@VER (n)` for a needed version (also on copy-relocated definitions), `@@VER` for a
 * default defined one, `@VER` for a hidden one (none for the version's own definition symbol).
 */
function withVersion(f: ElfFile, table: string, index: number, name: string): string {
  if (table !== '.dynsym' || f.versions === undefined) return name;
  const v = symbolVersion(f.versions, index);
  if (v === undefined) return name;
  if (v.file !== undefined) return `${name}@${v.name} (${v.index})`;
  if (v.name === name) return name;
  return v.hidden ? `${name}@${v.name}` : `${name}@@${v.name}`;
}

const HEADER_FIELDS: [string, (f: ElfFile) => string][] = [
  ['Entry point address', (f) => `0x${f.header.entry.toString(16)}`],
  ['Start of program headers', (f) => `${f.header.phoff} (bytes into file)`],
  ['Start of section headers', (f) => `${f.header.shoff} (bytes into file)`],
  ['Flags', (f) => `0x${f.header.flags.toString(16)}`],
  ['Size of this header', (f) => `${f.header.ehsize} (bytes)`],
  ['Size of program headers', (f) => `${f.header.phentsize} (bytes)`],
  ['Number of program headers', (f) => `${f.header.phnum}`],
  ['Size of section headers', (f) => `${f.header.shentsize} (bytes)`],
  ['Number of section headers', (f) => `${f.header.shnum}`],
  ['Section header string table index', (f) => `${f.header.shstrndx}`],
  ['ABI Version', (f) => `${f.header.abiVersion}`],
  ['Class', () => 'ELF64'],
  ['Data', (f) => `2's complement, ${f.header.littleEndian ? 'little' : 'big'} endian`],
];

const TYPE_PREFIX: Record<number, string> = { 0: 'NONE', 1: 'REL', 2: 'EXEC', 3: 'DYN', 4: 'CORE' };
const MACHINES: Record<number, string> = { 62: 'Advanced Micro Devices X86-64', 183: 'AArch64', 3: 'Intel 80386' };

/** Every field where parseElf and readelf disagree, as "what: ours vs readelf" lines. */
export function compareWithReadelf(f: ElfFile, re: ReadelfOutput): string[] {
  const bad: string[] = [];
  const eq = (what: string, ours: unknown, theirs: unknown): void => {
    if (ours !== theirs) bad.push(`${what}: ours ${String(ours)} vs readelf ${String(theirs)}`);
  };
  for (const line of re.unparsed) bad.push(`unparsed readelf line: ${line}`);
  for (const [key, get] of HEADER_FIELDS) eq(`header ${key}`, get(f), re.header.get(key));
  eq('header Type', TYPE_PREFIX[f.header.type], re.header.get('Type')?.split(' ')[0]);
  eq('header Machine', MACHINES[f.header.machine], re.header.get('Machine'));

  eq('section count', f.sections.length, re.sections.length);
  for (const r of re.sections) {
    const s = f.sections[r.index];
    const at = `section [${r.index}] ${r.name}`;
    if (s === undefined) {
      bad.push(`${at}: missing`);
      continue;
    }
    eq(`${at} name`, s.name, r.name);
    eq(`${at} type`, sectionTypeName(s.type, f.header.machine), r.type);
    eq(`${at} addr`, s.addr, r.addr);
    eq(`${at} offset`, s.offset, r.offset);
    eq(`${at} size`, s.size, r.size);
    eq(`${at} entsize`, s.entsize, r.entsize);
    eq(`${at} link`, s.link, r.link);
    eq(`${at} info`, s.info, r.info);
    eq(`${at} addralign`, s.addralign, r.align);
    const flags = sectionFlagsFromLetters(r.flags);
    eq(`${at} flags`, s.flags & flags.compared, flags.bits);
  }

  eq('segment count', f.programHeaders.length, re.segments.length);
  re.segments.forEach((r, i) => {
    const p = f.programHeaders[i];
    const at = `segment ${i} ${r.type}`;
    if (p === undefined) return;
    eq(`${at} type`, segmentTypeName(p.type), r.type);
    eq(`${at} offset`, p.offset, r.offset);
    eq(`${at} vaddr`, p.vaddr, r.vaddr);
    eq(`${at} paddr`, p.paddr, r.paddr);
    eq(`${at} filesz`, p.filesz, r.filesz);
    eq(`${at} memsz`, p.memsz, r.memsz);
    eq(`${at} flags`, p.flags & 7, segmentFlagsFromLetters(r.flags));
    eq(`${at} align`, p.align, r.align);
  });

  const ours = [f.dynsym, f.symtab].filter((t) => t !== undefined);
  eq('symbol tables', ours.map((t) => t.section).join(','), [...re.symbolTables.keys()].join(','));
  for (const t of ours) {
    const theirs = re.symbolTables.get(t.section) ?? [];
    eq(`${t.section} count`, t.symbols.length, theirs.length);
    for (const r of theirs) {
      const s = t.symbols[r.num];
      const at = `${t.section}[${r.num}] ${r.name}`;
      if (s === undefined) {
        bad.push(`${at}: missing`);
        continue;
      }
      // readelf shows an unnamed STT_SECTION symbol under its section's name.
      const shown = s.name === '' && s.type === 3 ? (f.sections[s.shndx]?.name ?? '') : s.name;
      eq(`${at} name`, withVersion(f, t.section, r.num, shown), r.name);
      eq(`${at} value`, s.value, r.value);
      eq(`${at} size`, s.size, r.size);
      eq(`${at} type`, symbolTypeName(s.type, f.header.osAbi), r.type);
      eq(`${at} bind`, symbolBindingName(s.binding, f.header.osAbi), r.bind);
      eq(`${at} vis`, symbolVisibilityName(s.visibility), r.vis);
      eq(`${at} ndx`, symbolSectionIndexName(s.shndx), r.ndx);
    }
  }

  const relocs = f.relocations.filter((t) => t.kind !== 'relr');
  eq(
    'relocation sections',
    relocs.map((t) => t.section).join(','),
    [...re.relocationSections.keys()].filter((k) => !k.includes('.relr')).join(','),
  );
  for (const t of relocs) {
    const theirs = re.relocationSections.get(t.section) ?? [];
    eq(`${t.section} count`, t.relocations.length, theirs.length);
    const table = f.sections[t.symbolTable];
    const symbols =
      table?.index === f.dynsym?.sectionIndex
        ? f.dynsym
        : table?.index === f.symtab?.sectionIndex
          ? f.symtab
          : undefined;
    theirs.forEach((r, i) => {
      const e = t.relocations[i];
      if (e === undefined) return;
      const at = `${t.section}[${i}]`;
      eq(`${at} offset`, e.offset, r.offset);
      eq(`${at} info`, e.info, r.info);
      eq(`${at} type`, relocationTypeName(e.type, f.header.machine), r.type);
      const addend = e.addend ?? 0n;
      const magnitude = (addend < 0n ? -addend : addend).toString(16);
      let shown: string;
      if (e.symbol === 0) shown = e.addend === undefined ? '' : addend < 0n ? `-${magnitude}` : magnitude;
      else {
        const s = symbols?.symbols[e.symbol];
        const base = s === undefined ? '?' : s.name === '' && s.type === 3 ? (f.sections[s.shndx]?.name ?? '') : s.name;
        // readelf's relocation listing leaves out the " (n)" of a needed version.
        const name =
          symbols !== undefined && s !== undefined
            ? withVersion(f, symbols.section, e.symbol, base).replace(/ \(\d+\)$/, '')
            : base;
        // For an STT_GNU_IFUNC symbol readelf prints "name()" where the value would be.
        const value = s?.type === 10 ? `${name}()` : (s?.value ?? 0n).toString(16).padStart(16, '0');
        shown = `${value} ${name}${e.addend === undefined ? '' : ` ${addend < 0n ? '-' : '+'} ${magnitude}`}`;
      }
      eq(`${at} symbol + addend`, shown, r.rest);
    });
  }

  const dyn = f.dynamic?.entries ?? [];
  const reDyn = re.dynamic.filter((d) => d.tag !== 0n);
  eq('dynamic entry count', dyn.length, reDyn.length);
  const pick = (kind: string, prefix: string): string[] =>
    reDyn.filter((d) => d.kind === kind).map((d) => d.value.slice(prefix.length, -1));
  reDyn.forEach((r, i) => {
    const e = dyn[i];
    if (e === undefined) return;
    eq(`dynamic ${i} tag`, BigInt.asUintN(64, e.tag), r.tag);
    const num = /^(0x[0-9a-f]+|\d+)( \(bytes\))?$/.exec(r.value);
    if (num !== null) eq(`dynamic ${i} (${r.kind}) value`, e.value, BigInt(num[1]!));
  });
  eq('NEEDED', (f.dynamic?.needed ?? []).join(' '), pick('NEEDED', 'Shared library: [').join(' '));
  eq('SONAME', f.dynamic?.soname ?? '', pick('SONAME', 'Library soname: [').join(' '));
  eq('RPATH', f.dynamic?.rpath ?? '', pick('RPATH', 'Library rpath: [').join(' '));
  eq(
    'FLAGS',
    dynamicFlagNames(f.dynamic?.flags ?? 0n).join(' '),
    reDyn
      .filter((d) => d.kind === 'FLAGS')
      .map((d) => d.value)
      .join(' '),
  );
  eq(
    'FLAGS_1',
    dynamicFlags1Names(f.dynamic?.flags1 ?? 0n).join(' '),
    reDyn
      .filter((d) => d.kind === 'FLAGS_1')
      .map((d) => d.value.replace(/^Flags: /, ''))
      .join(' '),
  );
  eq('RUNPATH', f.dynamic?.runpath ?? '', pick('RUNPATH', 'Library runpath: [').join(' '));

  const notes = f.notes;
  eq('build ids', notes.flatMap((n) => (n.buildId === undefined ? [] : [n.buildId])).join(' '), re.buildIds.join(' '));
  eq(
    'ABI tags',
    notes.flatMap((n) => (n.abiTag === undefined ? [] : [`${n.abiTag.os} ${n.abiTag.version.join('.')}`])).join(' '),
    re.abiTags.join(' '),
  );
  // GNU property notes: compared where every property is one gnuPropertyDescription words.
  const propertyNotes = notes.filter((n) => n.properties !== undefined);
  const described = propertyNotes.map((n) =>
    n.properties!.map((p) => gnuPropertyDescription(p, f.header.littleEndian)),
  );
  if (described.every((d) => d.every((x) => x !== undefined))) {
    eq('GNU properties', described.map((d) => d.join(', ')).join(' | '), re.properties.join(' | '));
  }
  return bad;
}

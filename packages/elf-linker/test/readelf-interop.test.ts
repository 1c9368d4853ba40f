/// <reference types="node" />
// Interop: parseElf against binutils `readelf -W` on the host's own ELF files (Debian 12,
// binutils 2.40). ELF_INTEROP_SAMPLE sets how many files (default 50, chosen deterministically:
// every Nth of the sorted list); ELF_INTEROP_SAMPLE=all compares every ELF file found.
import { spawnSync } from 'node:child_process';
import { lstatSync, openSync, readdirSync, readFileSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../src/elf/elf-file.js';
import type { ElfFile } from '../src/elf/elf-file.js';
import { compareWithReadelf, parseReadelfText } from './readelf-text.js';

const ROOTS = ['/usr/bin', '/usr/lib/x86_64-linux-gnu'];
const hasReadelf = spawnSync('readelf', ['--version']).status === 0;

function isElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(4);
    return readSync(fd, magic, 0, 4, 0) === 4 && magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

function elfFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile() && st.size >= 64 && isElf(path)) out.push(path);
    }
  };
  for (const root of ROOTS) walk(root);
  return out.sort();
}

export function sampleEvenly<T>(all: readonly T[], count: number): T[] {
  if (count >= all.length) return [...all];
  const step = all.length / count;
  return Array.from({ length: count }, (_, i) => all[Math.floor(i * step)]!);
}

function readelf(path: string): string {
  const r = spawnSync('readelf', ['-W', '-h', '-l', '-S', '-s', '-d', '-n', '-r', path], {
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  return r.stdout;
}

describe.skipIf(!hasReadelf)('parseElf agrees with readelf -W', () => {
  const all = elfFiles();
  const want = process.env['ELF_INTEROP_SAMPLE'] ?? '50';
  const sample = want === 'all' ? all : sampleEvenly(all, Number(want));

  it(
    `on ${sample.length} of the host's ELF files: header, segments, sections, symbols, relocations, dynamic, notes`,
    () => {
      expect(sample.length).toBeGreaterThan(0);
      const mismatches: string[] = [];
      let symbols = 0;
      let relocations = 0;
      for (const path of sample) {
        const f = parseElf(readFileSync(path));
        symbols += (f.symtab?.symbols.length ?? 0) + (f.dynsym?.symbols.length ?? 0);
        for (const t of f.relocations) relocations += t.relocations.length;
        for (const m of compareWithReadelf(f, parseReadelfText(readelf(path)))) mismatches.push(`${path}: ${m}`);
      }
      console.log(
        `readelf interop: ${sample.length} of ${all.length} ELF files, ${symbols} symbols, ${relocations} relocations, ${mismatches.length} mismatches`,
      );
      expect(mismatches.slice(0, 20)).toEqual([]);
    },
    want === 'all' ? 30 * 60_000 : 60_000,
  ); // every file: about 2 minutes on the 2-core dev machine

  it('finds every defined .dynsym symbol through the GNU and SysV hash tables, and no absent name', () => {
    const kinds = { gnu: 0, sysv: 0 };
    let lookups = 0;
    const missed: string[] = [];
    for (const path of sample) {
      const f = parseElf(readFileSync(path));
      for (const table of f.hashTables) {
        kinds[table.kind]++;
        f.dynsym!.symbols.forEach((s, i) => {
          if (s.shndx === 0 || s.name === '') return;
          lookups++;
          if (table.lookup(s.name, (j) => j === i) !== i) missed.push(`${path} ${table.kind}: ${s.name}`);
          if (table.lookup(`${s.name}@absent`) !== undefined)
            missed.push(`${path} ${table.kind}: found ${s.name}@absent`);
        });
      }
    }
    console.log(`hash lookups: ${lookups} symbols, tables ${JSON.stringify(kinds)}`);
    expect(kinds.gnu).toBeGreaterThan(0);
    expect(missed.slice(0, 20)).toEqual([]);
  });

  it('reports a wrong field: the comparison can fail', () => {
    const path = '/usr/bin/ls';
    const f = parseElf(readFileSync(path));
    const re = parseReadelfText(readelf(path));
    expect(compareWithReadelf(f, re)).toEqual([]);
    const dynsym = f.dynsym!;
    const s1 = dynsym.symbols[1]!;
    const wrong: ElfFile = {
      ...f,
      header: { ...f.header, entry: f.header.entry + 1n },
      sections: f.sections.map((s, i) => (i === 1 ? { ...s, flags: s.flags | 1n } : s)),
      programHeaders: f.programHeaders.map((p, i) => (i === 0 ? { ...p, memsz: p.memsz + 8n } : p)),
      dynsym: {
        ...dynsym,
        symbols: dynsym.symbols.map((s, i) => (i === 1 ? { ...s, binding: 2, name: `${s1.name}x` } : s)),
      },
      dynamic: { ...f.dynamic!, needed: [...f.dynamic!.needed].reverse(), flags1: f.dynamic!.flags1! | 1n },
      notes: f.notes.map((n) =>
        n.properties === undefined ? n : { ...n, properties: [{ type: 0xc0008002, data: Uint8Array.of(2, 0, 0, 0) }] },
      ),
      relocations: f.relocations.map((t, i) =>
        i === 0
          ? { ...t, relocations: t.relocations.map((e, j) => (j === 0 ? { ...e, offset: e.offset + 8n } : e)) }
          : t,
      ),
    };
    // The renamed symbol also shows in the relocations that refer to it.
    const bad = compareWithReadelf(wrong, re).filter((m) => !/^\.rela\.(dyn|plt)\[\d+\] symbol \+ addend: /.test(m));
    expect(bad.map((m) => m.split(':')[0])).toEqual([
      'header Entry point address',
      'section [1] .interp flags',
      'segment 0 PHDR memsz',
      `.dynsym[1] ${re.symbolTables.get('.dynsym')![1]!.name} name`,
      `.dynsym[1] ${re.symbolTables.get('.dynsym')![1]!.name} bind`,
      '.rela.dyn[0] offset',
      'NEEDED',
      'FLAGS_1',
      'GNU properties',
    ]);
  });
});

/// <reference types="node" />
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseElf } from './elf-file.js';
import { ElfFormatError } from './elf-format-error.js';

// A small ELF64 file assembled here in either byte order: one PT_LOAD and one PT_TLS segment,
// sections NULL, .shstrtab, .strtab, .symtab (2 symbols), .note.gnu.build-id.
function assemble(littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(1024);
  const v = new DataView(bytes.buffer);
  const u16 = (o: number, x: number): void => v.setUint16(o, x, littleEndian);
  const u32 = (o: number, x: number): void => v.setUint32(o, x, littleEndian);
  const u64 = (o: number, x: bigint): void => v.setBigUint64(o, x, littleEndian);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, littleEndian ? 1 : 2, 1, 3]);
  u16(16, 2); // ET_EXEC
  u16(18, 62);
  u32(20, 1);
  u64(24, 0x401000n);
  u64(32, 64n); // phoff
  u64(40, 512n); // shoff
  u16(52, 64);
  u16(54, 56);
  u16(56, 2);
  u16(58, 64);
  u16(60, 5);
  u16(62, 1);
  const phdr = (
    at: number,
    type: number,
    flags: number,
    off: bigint,
    vaddr: bigint,
    filesz: bigint,
    memsz: bigint,
    align: bigint,
  ): void => {
    u32(at, type);
    u32(at + 4, flags);
    u64(at + 8, off);
    u64(at + 16, vaddr);
    u64(at + 24, vaddr);
    u64(at + 32, filesz);
    u64(at + 40, memsz);
    u64(at + 48, align);
  };
  phdr(64, 1, 5, 0n, 0x400000n, 832n, 832n, 0x1000n);
  phdr(120, 7, 4, 400n, 0x400190n, 8n, 24n, 16n);
  const text = (at: number, s: string): void => bytes.set(new TextEncoder().encode(s), at);
  text(200, '\0.shstrtab\0.strtab\0.symtab\0.note.gnu.build-id\0'); // 46 bytes
  text(260, '\0main\0counter\0'); // 14 bytes
  const sym = (
    at: number,
    name: number,
    info: number,
    other: number,
    shndx: number,
    value: bigint,
    size: bigint,
  ): void => {
    u32(at, name);
    bytes[at + 4] = info;
    bytes[at + 5] = other;
    u16(at + 6, shndx);
    u64(at + 8, value);
    u64(at + 16, size);
  };
  sym(280 + 24, 1, 0x12, 0, 0xfff1, 0x401000n, 42n); // main: GLOBAL FUNC ABS
  sym(280 + 48, 6, 0x21, 3, 0, 0n, 8n); // counter: WEAK OBJECT PROTECTED UND
  u32(360, 4); // build-id note: namesz, descsz, type, "GNU\0", 4 bytes
  u32(364, 4);
  u32(368, 3);
  text(372, 'GNU');
  bytes.set([0xde, 0xad, 0xbe, 0xef], 376);
  const shdr = (
    i: number,
    name: number,
    type: number,
    off: bigint,
    size: bigint,
    link: number,
    align: bigint,
    entsize: bigint,
  ): void => {
    const at = 512 + 64 * i;
    u32(at, name);
    u32(at + 4, type);
    u64(at + 24, off);
    u64(at + 32, size);
    u32(at + 40, link);
    u32(at + 44, 1);
    u64(at + 48, align);
    u64(at + 56, entsize);
  };
  shdr(1, 1, 3, 200n, 46n, 0, 1n, 0n);
  shdr(2, 11, 3, 260n, 14n, 0, 1n, 0n);
  shdr(3, 19, 2, 280n, 72n, 2, 8n, 24n);
  shdr(4, 27, 7, 360n, 20n, 0, 4n, 0n);
  return bytes.subarray(0, 512 + 5 * 64);
}

describe('parseElf', () => {
  it('reads the same file in both byte orders', () => {
    for (const little of [true, false]) {
      const f = parseElf(assemble(little));
      expect(f.header.littleEndian).toBe(little);
      expect(f.header.entry).toBe(0x401000n);
      expect(f.sections.map((s) => s.name)).toEqual(['', '.shstrtab', '.strtab', '.symtab', '.note.gnu.build-id']);
      expect(f.symtab?.symbols.slice(1)).toEqual([
        { name: 'main', type: 2, binding: 1, visibility: 0, shndx: 0xfff1, value: 0x401000n, size: 42n },
        { name: 'counter', type: 1, binding: 2, visibility: 3, shndx: 0, value: 0n, size: 8n },
      ]);
      expect(f.notes.map((n) => n.buildId)).toEqual(['deadbeef']);
      // x86-64 TLS variant II: the 24-byte block, 16-aligned, ends at the thread pointer.
      expect(f.tls).toMatchObject({ initBytes: 8n, blockBytes: 24n, tpOffset: -32n });
    }
  });

  it('refuses ELFCLASS32 and other bad identification with a FormatError naming the field', () => {
    const b = assemble(true).slice();
    b[4] = 1;
    expect(() => parseElf(b)).toThrow(/elf: e_ident\[EI_CLASS\] at offset 4: ELFCLASS32 files are not supported/);
    expect(() => parseElf(new TextEncoder().encode('#!/bin/sh\n'))).toThrow(ElfFormatError);
  });

  it('names the field when a table runs past the end of the file', () => {
    const b = assemble(true);
    expect(() => parseElf(b.subarray(0, 600))).toThrow(/e_shoff\/e_shnum at offset 40: range of 320 bytes at 512/);
    const c = b.slice();
    new DataView(c.buffer).setBigUint64(512 + 3 * 64 + 32, 1n << 40n, true); // .symtab sh_size
    expect(() => parseElf(c)).toThrow(/section 3 sh_offset\/sh_size at offset 728/);
  });
});

// Fuzzing: 10^4 cases, mutated real files and random bytes. Every outcome is a parse or an
// ElfFormatError; a RangeError or TypeError (an unchecked read) fails the property.
describe('parseElf on corrupt input', () => {
  const real = ['/usr/bin/true', '/usr/lib/x86_64-linux-gnu/libdl.so.2']
    .filter(existsSync)
    .map((p) => new Uint8Array(readFileSync(p)));
  const seeds = [assemble(true), assemble(false), ...real];
  const outcome = (bytes: Uint8Array): string => {
    try {
      parseElf(bytes);
      return 'parsed';
    } catch (e) {
      if (e instanceof ElfFormatError) return 'ElfFormatError';
      throw e;
    }
  };
  // Header and table bytes are where a mutation reaches the most code; the rest of a file is data.
  const hot = (b: Uint8Array): number[] => {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const le = b[5] !== 2;
    const phoff = Number(v.getBigUint64(32, le));
    const shoff = Number(v.getBigUint64(40, le));
    const out: number[] = [];
    for (let i = 0; i < 64; i++) out.push(i);
    for (let i = 0; i < v.getUint16(56, le) * 56; i++) out.push(phoff + i);
    for (let i = 0; i < v.getUint16(60, le) * 64; i++) out.push(shoff + i);
    return out.filter((o) => o < b.byteLength);
  };
  const hotOffsets = seeds.map(hot);

  it('mutated real and assembled files: 8000 cases', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.constantFrom(0, 1, 0xff, 0x7f, 0x80, 0x40, 0x10), fc.nat(255)), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, edits, cut) => {
          const b = seeds[which]!.slice();
          for (const [inHot, where, special, random] of edits) {
            const hotSet = hotOffsets[which]!;
            const at = inHot ? hotSet[where % hotSet.length]! : where % b.length;
            b[at] = where % 3 === 0 ? special : random;
          }
          const bytes = cut === undefined ? b : b.subarray(0, cut % b.length);
          seen.add(outcome(bytes));
        },
      ),
      { numRuns: 8000, seed: 19 },
    );
    expect([...seen].sort()).toEqual(['ElfFormatError', 'parsed']);
  });

  it('random bytes behind a valid identification: 2000 cases', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.boolean(), (tail, little) => {
        const b = new Uint8Array(16 + tail.length);
        b.set([0x7f, 0x45, 0x4c, 0x46, 2, little ? 1 : 2, 1]);
        b.set(tail, 16);
        expect(['parsed', 'ElfFormatError']).toContain(outcome(b));
      }),
      { numRuns: 2000, seed: 19 },
    );
  });
});

describe('symbol hash functions', () => {
  it('match the published values', async () => {
    const { gnuHash, sysvHash } = await import('./hash-table.js');
    expect(gnuHash('')).toBe(5381);
    expect(gnuHash('printf').toString(16)).toBe('156b2bb8');
    expect(sysvHash('printf').toString(16)).toBe('77905a6');
  });
});

describe('RELR relocations', () => {
  it('expand an address word and a bitmap word into R_X86_64_RELATIVE addresses', async () => {
    const { parseRelocationSections } = await import('./relocation.js');
    const { ElfReader } = await import('./elf-reader.js');
    // gABI "Relative Relocation Table": 0x10000 relocates 0x10000; then bitmap 0b1011 (bit 0 is
    // the marker) relocates 0x10008 + 0*8 and 0x10008 + 2*8.
    const bytes = new Uint8Array(16);
    const v = new DataView(bytes.buffer);
    v.setBigUint64(0, 0x10000n, true);
    v.setBigUint64(8, 0b1011n, true);
    const section = {
      index: 1, name: '.relr.dyn', nameIndex: 0, type: 19, flags: 2n, addr: 0n, offset: 0n, size: 16n,
      link: 0, info: 0, addralign: 8n, entsize: 8n,
    }; // prettier-ignore
    const [relr] = parseRelocationSections(new ElfReader(bytes, true), [section], 62);
    expect(relr?.relocations.map((r) => [r.offset.toString(16), r.type])).toEqual([
      ['10000', 8],
      ['10008', 8],
      ['10018', 8],
    ]);
  });
});

// Symbol hash tables: the System V one (gABI ch. 5, "Hash Table", Figure 5-12 and the hash
// function of Figure 5-13) and the GNU one (DT_GNU_HASH, as glibc's ld.so reads it: a Bloom filter
// of 64-bit words for ELF64, buckets, then one 32-bit hash per symbol from symoffset on, the low bit
// marking a chain's end). lookup() returns a .dynsym index, as ld.so's do_lookup would examine it;
// every chain walk is bounded by the symbol count so a corrupt table cannot loop.
import { ElfFormatError } from './elf-format-error.js';
import type { ElfReader } from './elf-reader.js';
import type { ElfSymbol } from './elf-symbol.js';
import { SHT_GNU_HASH, SHT_HASH } from './section-header.js';
import type { SectionHeader } from './section-header.js';

/** gABI Figure 5-13. */
export function sysvHash(name: string): number {
  let h = 0;
  for (const b of new TextEncoder().encode(name)) {
    h = ((h << 4) + b) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h ^= g >>> 24;
    h &= ~g >>> 0;
  }
  return h >>> 0;
}

/** The DJB hash DT_GNU_HASH uses: h = h * 33 + c, from 5381, modulo 2^32. */
export function gnuHash(name: string): number {
  let h = 5381;
  for (const b of new TextEncoder().encode(name)) h = (Math.imul(h, 33) + b) >>> 0;
  return h;
}

export interface SymbolHashTable {
  readonly kind: 'sysv' | 'gnu';
  /** The .dynsym index of a symbol named `name` that `accept` takes (default: any), or undefined. */
  lookup(name: string, accept?: (index: number) => boolean): number | undefined;
}

function sysvTable(r: ElfReader, offset: number, size: number, symbols: readonly ElfSymbol[]): SymbolHashTable {
  const nbucket = r.u32('nbucket', offset);
  const nchain = r.u32('nchain', offset + 4);
  if (8 + 4 * (nbucket + nchain) > size)
    throw new ElfFormatError(
      'nbucket/nchain',
      offset,
      `${nbucket} buckets and ${nchain} chains do not fit in ${size} bytes`,
    );
  if (nbucket === 0) throw new ElfFormatError('nbucket', offset, 'a hash table with no buckets');
  const bucket = (i: number): number => r.u32('bucket', offset + 8 + 4 * i);
  const chain = (i: number): number => r.u32('chain', offset + 8 + 4 * (nbucket + i));
  return {
    kind: 'sysv',
    lookup(name, accept) {
      let i = bucket(sysvHash(name) % nbucket);
      for (let steps = 0; i !== 0 && steps <= nchain; steps++) {
        if (i >= nchain) throw new ElfFormatError('chain', offset, `symbol index ${i} past nchain ${nchain}`);
        if (symbols[i]?.name === name && (accept === undefined || accept(i))) return i;
        i = chain(i);
      }
      return undefined;
    },
  };
}

function gnuTable(r: ElfReader, offset: number, size: number, symbols: readonly ElfSymbol[]): SymbolHashTable {
  const nbuckets = r.u32('nbuckets', offset);
  const symoffset = r.u32('symoffset', offset + 4);
  const bloomSize = r.u32('bloom_size', offset + 8);
  const bloomShift = r.u32('bloom_shift', offset + 12);
  const bucketsAt = offset + 16 + 8 * bloomSize;
  const chainAt = bucketsAt + 4 * nbuckets;
  if (16 + 8 * bloomSize + 4 * nbuckets > size)
    throw new ElfFormatError(
      'nbuckets/bloom_size',
      offset,
      `${nbuckets} buckets and ${bloomSize} Bloom words do not fit in ${size} bytes`,
    );
  if (nbuckets === 0 || bloomSize === 0)
    throw new ElfFormatError('nbuckets/bloom_size', offset, 'a GNU hash table with no buckets or no Bloom filter');
  const chainLength = Math.floor((offset + size - chainAt) / 4);
  return {
    kind: 'gnu',
    lookup(name, accept) {
      const h = gnuHash(name);
      const word = r.u64('bloom', offset + 16 + 8 * (Math.floor(h / 64) % bloomSize));
      const mask = (1n << BigInt(h % 64)) | (1n << BigInt((h >>> bloomShift) % 64));
      if ((word & mask) !== mask) return undefined;
      let i = r.u32('bucket', bucketsAt + 4 * (h % nbuckets));
      if (i === 0) return undefined;
      if (i < symoffset)
        throw new ElfFormatError('bucket', bucketsAt, `symbol index ${i} below symoffset ${symoffset}`);
      for (; i - symoffset < chainLength; i++) {
        const ch = r.u32('chain', chainAt + 4 * (i - symoffset));
        if ((ch | 1) === (h | 1) && symbols[i]?.name === name && (accept === undefined || accept(i))) return i;
        if ((ch & 1) !== 0) return undefined;
      }
      return undefined;
    },
  };
}

/** The hash tables of the .dynsym section `dynsymIndex` (GNU first, as ld.so prefers it). */
export function parseHashTables(
  r: ElfReader,
  sections: readonly SectionHeader[],
  dynsymIndex: number,
  symbols: readonly ElfSymbol[],
): SymbolHashTable[] {
  const out: SymbolHashTable[] = [];
  for (const type of [SHT_GNU_HASH, SHT_HASH]) {
    for (const s of sections) {
      if (s.type !== type || s.link !== dynsymIndex) continue;
      const { offset, size } = r.range(`${s.name} sh_offset/sh_size`, Number(s.offset), s.offset, s.size);
      r.check(`${s.name} header`, offset, 16);
      out.push(type === SHT_HASH ? sysvTable(r, offset, size, symbols) : gnuTable(r, offset, size, symbols));
    }
  }
  return out;
}

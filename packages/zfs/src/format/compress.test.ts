import fc from 'fast-check';
import { FormatError } from '@osv-ts/kernel-api';
import { describe, expect, it } from 'vitest';
import { compressBlock, decompress, ZIO_COMPRESS } from './compress.js';
import { lzjbCompress, lzjbDecompress } from './lzjb.js';
import { zleCompress, zleDecompress } from './zle.js';
import { lz4Decompress } from './lz4.js';

// Inputs with repetition, zeros and noise, so every codec takes its interesting paths.
const blockish = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .record({ byte: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 700 }) })
        .map(({ byte, n }) => new Uint8Array(n).fill(byte)),
      fc.constantFrom(new TextEncoder().encode('the quick brown fox '), new Uint8Array(300)),
    ),
    { maxLength: 40 },
  )
  .map((parts) => {
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  });

/** A simple greedy LZ4 block encoder (test model), with ZFS's 4-byte big-endian length prefix. */
function lz4EncodeModel(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  const table = new Map<number, number>();
  let anchor = 0;
  let i = 0;
  const emitLen = (n: number): void => {
    while (n >= 255) {
      out.push(255);
      n -= 255;
    }
    out.push(n);
  };
  const seq = (litEnd: number, mOff: number, mLen: number): void => {
    const lit = litEnd - anchor;
    const ml = mLen - 4;
    out.push((Math.min(lit, 15) << 4) | (mLen ? Math.min(ml, 15) : 0));
    if (lit >= 15) emitLen(lit - 15);
    for (let k = anchor; k < litEnd; k++) out.push(src[k]!);
    if (mLen) {
      out.push(mOff & 0xff, mOff >> 8);
      if (ml >= 15) emitLen(ml - 15);
    }
  };
  while (i + 12 <= src.length) {
    const key = src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24);
    const cand = table.get(key);
    table.set(key, i);
    if (cand !== undefined && i - cand < 65536) {
      let len = 4;
      while (i + len < src.length - 5 && src[cand + len] === src[i + len]) len++;
      seq(i, i - cand, len);
      i += len;
      anchor = i;
    } else i++;
  }
  seq(src.length, 0, 0);
  const body = Uint8Array.from(out);
  const framed = new Uint8Array(4 + body.length + 7);
  new DataView(framed.buffer).setUint32(0, body.length, false);
  framed.set(body, 4);
  return framed;
}

function onlyFormatErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
  }
}

describe('compression', () => {
  it('lzjb round-trips and tolerates zero padding', () => {
    fc.assert(
      fc.property(blockish, (b) => {
        const c = lzjbCompress(b, b.length * 2 + 64);
        expect(c).not.toBeNull();
        const padded = new Uint8Array(c!.length + 17);
        padded.set(c!);
        expect(lzjbDecompress(padded, b.length)).toEqual(b);
      }),
    );
  });
  it('lzjb gives up (null) when the output would not fit', () => {
    let x = 99;
    const noise = new Uint8Array(4096).map(() => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x & 0xff;
    });
    expect(lzjbCompress(noise, 1024)).toBeNull();
  });
  it('zle round-trips', () => {
    fc.assert(
      fc.property(blockish, (b) => {
        const c = zleCompress(b, b.length * 2 + 64)!;
        expect(zleDecompress(c, b.length)).toEqual(b);
      }),
    );
  });
  it('lz4 decodes streams from an independent encoder', () => {
    fc.assert(
      fc.property(blockish, (b) => {
        expect(lz4Decompress(lz4EncodeModel(b), b.length)).toEqual(b);
      }),
    );
  });
  it('gzip-1..9, lzjb and zle blocks round-trip through compressBlock/decompress with the 1/8 rule', () => {
    fc.assert(
      fc.property(
        blockish.filter((b) => b.length >= 512),
        fc.constantFrom(3, 5, 6, 9, 10, 13, 14),
        (b, id) => {
          const lsize = Math.ceil(b.length / 512) * 512;
          const block = new Uint8Array(lsize);
          block.set(b);
          const c = compressBlock(id, block);
          if (c === null) return;
          expect(c.length % 512).toBe(0);
          expect(c.length).toBeLessThanOrEqual(lsize - lsize / 8);
          expect(decompress(id, c, lsize)).toEqual(block);
        },
      ),
    );
  });
  it('compresses text and refuses incompressible data', () => {
    const text = new TextEncoder().encode('zfs '.repeat(32768));
    expect(compressBlock(ZIO_COMPRESS.LZJB, text)!.length).toBeLessThan(text.length / 4);
    let x = 12345;
    const noise = new Uint8Array(131072).map(() => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x & 0xff;
    });
    expect(compressBlock(ZIO_COMPRESS.LZJB, noise)).toBeNull();
  });
  it('fuzzed compressed input only ever raises FormatError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 0, max: 4096 }),
        fc.constantFrom(3, 7, 14, 15),
        (b, n, id) => {
          onlyFormatErrors(() => decompress(id === 7 ? 5 : id, b, n));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

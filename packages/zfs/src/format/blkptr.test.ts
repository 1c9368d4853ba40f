import fc from 'fast-check';
import { FormatError } from '@osv-ts/kernel-api';
import { describe, expect, it } from 'vitest';
import { decodeBlkptr, encodeBlkptr, isHole, type BlkptrFields } from './blkptr.js';
import { decodeUberblock, encodeUberblock } from './uberblock.js';
import { decodeDnode, encodeDnodeHeader } from './dnode.js';

const sectors = (max: number): fc.Arbitrary<number> => fc.integer({ min: 1, max }).map((s) => s * 512);
const dva = fc.record({
  vdev: fc.integer({ min: 0, max: 5 }),
  asize: sectors(0xffff),
  offset: fc.integer({ min: 0, max: 2 ** 40 }).map((s) => s * 512),
  gang: fc.boolean(),
});
const bpFields: fc.Arbitrary<BlkptrFields> = fc.record({
  dva: fc.array(dva, { minLength: 1, maxLength: 3 }),
  lsize: sectors(256),
  psize: sectors(256),
  compress: fc.integer({ min: 2, max: 14 }),
  checksumType: fc.integer({ min: 2, max: 8 }),
  type: fc.integer({ min: 1, max: 43 }),
  level: fc.integer({ min: 0, max: 6 }),
  birth: fc.integer({ min: 1, max: 2 ** 40 }),
  fill: fc.integer({ min: 1, max: 2 ** 30 }),
  checksum: fc.tuple(
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  ),
});

describe('blkptr', () => {
  it('encode/decode round-trips every field', () => {
    fc.assert(
      fc.property(bpFields, (f) => {
        const buf = new Uint8Array(128);
        encodeBlkptr(buf, 0, f);
        const bp = decodeBlkptr(buf, 0, true);
        expect(bp.dva.filter((d) => d.asize > 0)).toEqual(f.dva);
        expect({
          lsize: bp.lsize,
          psize: bp.psize,
          compress: bp.compress,
          checksumType: bp.checksumType,
          type: bp.type,
          level: bp.level,
          birth: bp.birth,
          fill: bp.fill,
          checksum: bp.checksum,
        }).toEqual({
          lsize: f.lsize,
          psize: f.psize,
          compress: f.compress,
          checksumType: f.checksumType,
          type: f.type,
          level: f.level,
          birth: f.birth,
          fill: f.fill,
          checksum: f.checksum,
        });
        expect(bp.littleEndian).toBe(true);
        expect(isHole(bp)).toBe(false);
      }),
    );
  });
  it('decodes the verified blk_prop of reference §4.3', () => {
    const buf = new Uint8Array(128);
    new DataView(buf.buffer).setBigUint64(48, 0x860a07030001001fn, true);
    new DataView(buf.buffer).setBigUint64(0, 8n, true);
    const bp = decodeBlkptr(buf, 0, true);
    expect([bp.level, bp.type, bp.checksumType, bp.compress, bp.psize, bp.lsize, bp.littleEndian]).toEqual([
      6,
      10,
      7,
      3,
      1024,
      16384,
      true,
    ]);
    expect(bp.dva[0].asize).toBe(4096);
  });
  it('decodes big-endian blkptrs', () => {
    fc.assert(
      fc.property(bpFields, (f) => {
        const le = new Uint8Array(128);
        encodeBlkptr(le, 0, f);
        const be = new Uint8Array(128);
        for (let w = 0; w < 16; w++) for (let i = 0; i < 8; i++) be[w * 8 + i] = le[w * 8 + 7 - i]!;
        expect(decodeBlkptr(be, 0, false)).toEqual(decodeBlkptr(le, 0, true));
      }),
    );
  });
  it('a zero blkptr is a hole; short buffers raise FormatError', () => {
    expect(isHole(decodeBlkptr(new Uint8Array(128), 0, true))).toBe(true);
    expect(() => decodeBlkptr(new Uint8Array(100), 0, true)).toThrow(FormatError);
  });
  it('embedded blkptrs decode their payload (reference §4.6)', () => {
    const buf = new Uint8Array(128);
    const v = new DataView(buf.buffer);
    const payload = Array.from({ length: 20 }, (_, i) => i + 1);
    const words = [0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 15];
    payload.forEach((b, i) => {
      buf[words[i >> 3]! * 8 + (i & 7)] = b;
    });
    v.setBigUint64(48, (1n << 63n) | (19n << 48n) | (1n << 39n) | (2n << 32n) | (19n << 25n) | 99n, true);
    v.setBigUint64(80, 7n, true);
    const bp = decodeBlkptr(buf, 0, true);
    expect(bp.embedded).toBe(true);
    expect([...bp.payload!]).toEqual(payload);
    expect([bp.lsize, bp.psize, bp.birth, isHole(bp)]).toEqual([100, 20, 7, false]);
  });
});

describe('uberblock and dnode', () => {
  it('uberblocks round-trip and are recognised in either byte order', () => {
    fc.assert(
      fc.property(
        bpFields,
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (rootbp, txg, guidSum) => {
          const buf = new Uint8Array(1024);
          encodeUberblock(buf, 0, { version: 23, txg, guidSum, timestamp: 1_700_000_000, rootbp });
          const ub = decodeUberblock(buf)!;
          expect([ub.version, ub.txg, ub.guidSum, ub.timestamp, ub.littleEndian]).toEqual([
            23,
            txg,
            guidSum,
            1_700_000_000,
            true,
          ]);
          expect(decodeUberblock(new Uint8Array(1024))).toBeNull();
        },
      ),
    );
  });
  it('dnode headers round-trip; bad geometry raises FormatError', () => {
    const buf = new Uint8Array(512);
    encodeDnodeHeader(buf, 0, {
      type: 19,
      indblkshift: 14,
      nlevels: 2,
      nblkptr: 1,
      bonustype: 17,
      flags: 3,
      datablkszsec: 256,
      bonuslen: 264,
      maxblkid: 7,
      used: 12345,
    });
    const dn = decodeDnode(buf, 0, true);
    expect([
      dn.type,
      dn.indblkshift,
      dn.nlevels,
      dn.nblkptr,
      dn.bonustype,
      dn.flags,
      dn.datablkszsec,
      dn.bonuslen,
      dn.maxblkid,
      dn.used,
      dn.bonus.length,
    ]).toEqual([19, 14, 2, 1, 17, 3, 256, 264, 7, 12345, 264]);
    buf[10] = 0xff; // bonuslen 0x1ff > 320
    expect(() => decodeDnode(buf, 0, true)).toThrow(FormatError);
  });
  it('fuzzed dnodes decode or raise FormatError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 512, maxLength: 1024 }), (b) => {
        try {
          decodeDnode(b, 0, true);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

import fc from 'fast-check';
import { FormatError } from '@osv-ts/kernel-api';
import { describe, expect, it } from 'vitest';
import { decodeNvList, encodeNvList, NvList, type NvValue } from './nvlist.js';

const name = fc.string({ minLength: 1, maxLength: 20 });
const scalar: fc.Arbitrary<NvValue> = fc.oneof(
  fc.constant<NvValue>({ type: 1 }),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((value): NvValue => ({ type: 8, value })),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((value): NvValue => ({ type: 7, value })),
  fc.string({ maxLength: 40 }).map((value): NvValue => ({ type: 9, value })),
  fc.integer({ min: 0, max: 0xffffffff }).map((value): NvValue => ({ type: 6, value })),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((value): NvValue => ({ type: 5, value })),
  fc.boolean().map((value): NvValue => ({ type: 21, value })),
  fc
    .array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 5 })
    .map((value): NvValue => ({ type: 16, value })),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }).map((value): NvValue => ({ type: 17, value })),
  fc.uint8Array({ maxLength: 13 }).map((value): NvValue => ({ type: 10, value })),
);

const nvlist: fc.Arbitrary<NvList> = fc.letrec<{ list: NvList; value: NvValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    tie('list').map((value): NvValue => ({ type: 19, value })),
    fc.array(tie('list'), { maxLength: 3 }).map((value): NvValue => ({ type: 20, value })),
  ),
  list: fc.uniqueArray(fc.tuple(name, tie('value')), { selector: ([n]) => n, maxLength: 6 }).map((pairs) => {
    const l = new NvList();
    for (const [n, v] of pairs) l.set(n, v);
    return l;
  }),
})).list;

describe('XDR nvlists', () => {
  it('round-trip arbitrary nested lists', () => {
    fc.assert(
      fc.property(nvlist, (l) => {
        expect(decodeNvList(encodeNvList(l)).toJSON()).toEqual(l.toJSON());
      }),
    );
  });
  it('encode sizes as libnvpair does (reference §2.3: "version" = 0x24 encoded, 0x20 decoded)', () => {
    const b = encodeNvList(new NvList().setU64('version', 23));
    expect([...b.subarray(0, 4)]).toEqual([1, 1, 0, 0]);
    const v = new DataView(b.buffer);
    expect(v.getInt32(4, false)).toBe(0); // nvl_version
    expect(v.getUint32(8, false)).toBe(1); // NV_UNIQUE_NAME
    expect(v.getInt32(12, false)).toBe(0x24);
    expect(v.getInt32(16, false)).toBe(0x20);
    expect(b.length).toBe(12 + 0x24 + 8);
  });
  it('decodes truncated and fuzzed streams with FormatError only', () => {
    const base = encodeNvList(
      new NvList()
        .setString('name', 'tank')
        .setList(
          'vdev_tree',
          new NvList().setU64('ashift', 12).setListArray('children', [new NvList().setU64('id', 0)]),
        ),
    );
    fc.assert(
      fc.property(
        fc.nat(base.length),
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (cut, flips) => {
          const b = base.slice(0, cut);
          for (const [i, x] of flips) if (i < b.length) b[i] = x;
          try {
            decodeNvList(b);
          } catch (e) {
            expect(e).toBeInstanceOf(FormatError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

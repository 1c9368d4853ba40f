/// <reference types="node" />
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fletcher2, fletcher4 } from './fletcher.js';
import { sha256 } from './sha256.js';
import { sealEmbedded, verifyEmbedded } from './embedded-checksum.js';
import { computeChecksum } from './checksum.js';
import { FormatError } from '@osv-ts/kernel-api';

const M = (1n << 64n) - 1n;

function fletcher4Model(b: Uint8Array, le: boolean): bigint[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let a = 0n,
    bb = 0n,
    c = 0n,
    d = 0n;
  for (let i = 0; i + 4 <= b.length; i += 4) {
    a = (a + BigInt(v.getUint32(i, le))) & M;
    bb = (bb + a) & M;
    c = (c + bb) & M;
    d = (d + c) & M;
  }
  return [a, bb, c, d];
}

function fletcher2Model(b: Uint8Array, le: boolean): bigint[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let a0 = 0n,
    a1 = 0n,
    b0 = 0n,
    b1 = 0n;
  for (let i = 0; i + 16 <= b.length; i += 16) {
    a0 = (a0 + v.getBigUint64(i, le)) & M;
    a1 = (a1 + v.getBigUint64(i + 8, le)) & M;
    b0 = (b0 + a0) & M;
    b1 = (b1 + a1) & M;
  }
  return [a0, a1, b0, b1];
}

describe('checksums', () => {
  it('fletcher4 matches a BigInt model in both byte orders', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (b, le) => {
        expect([...fletcher4(b, le)]).toEqual(fletcher4Model(b, le));
      }),
    );
  });
  it('fletcher4 wraps modulo 2^64 on long all-ones input', () => {
    const b = new Uint8Array(1 << 20).fill(0xff);
    expect([...fletcher4(b)]).toEqual(fletcher4Model(b, true));
  });
  it('fletcher2 matches a BigInt model in both byte orders', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (b, le) => {
        expect([...fletcher2(b, le)]).toEqual(fletcher2Model(b, le));
      }),
    );
  });
  it('sha256 matches node:crypto and is split into big-endian words', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const ref = createHash('sha256').update(b).digest();
        const words = sha256(b);
        for (let i = 0; i < 4; i++) expect(words[i]).toBe(ref.readBigUInt64BE(i * 8));
      }),
    );
  });
  it('embedded checksums verify only with the right verifier and untouched bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 512, maxLength: 512 }),
        fc.bigUint64Array({ minLength: 1, maxLength: 1 }),
        fc.nat(471),
        (b, [off], flip) => {
          const region = b.slice();
          const verifier = [off!, 0n, 0n, 0n] as const;
          sealEmbedded(region, verifier);
          expect(verifyEmbedded(region, verifier)).toBe(true);
          expect(verifyEmbedded(region, [off! ^ 1n, 0n, 0n, 0n])).toBe(false);
          region[flip] = region[flip]! ^ 0x10;
          expect(verifyEmbedded(region, verifier)).toBe(false);
        },
      ),
    );
  });
  it('refuses unknown checksum functions with a FormatError', () => {
    expect(() => computeChecksum(12, new Uint8Array(512), true)).toThrow(FormatError);
    expect(computeChecksum(2, new Uint8Array(512), true)).toBeNull();
  });
});

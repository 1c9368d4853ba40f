import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferedEntropy } from './buffered-entropy.js';

/** A source that counts: byte i of its output stream is i & 0xff, so a repeat or a gap shows. */
function countingSource(): { fill(b: Uint8Array): void; produced: number } {
  const s = {
    produced: 0,
    fill(b: Uint8Array): void {
      for (let i = 0; i < b.length; i++) b[i] = (s.produced + i) & 0xff;
      s.produced += b.length;
    },
  };
  return s;
}

describe('BufferedEntropy', () => {
  it('never hands out more bytes of a device request than it returned, whatever the request sizes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 60 }), (sizes) => {
        // Device request k fills its buffer with the value k, so every byte handed out names the
        // request it came from; a byte served twice makes its request over-counted.
        const produced: number[] = [];
        const source = {
          fill(b: Uint8Array): void {
            b.fill(produced.length + 1);
            produced.push(b.length);
          },
        };
        const e = new BufferedEntropy(source);
        const taken = new Map<number, number>();
        for (const n of sizes) {
          const b = new Uint8Array(n);
          e.fill(b);
          for (const v of b) taken.set(v, (taken.get(v) ?? 0) + 1);
        }
        expect(taken.has(0)).toBe(false); // every requested byte was filled
        for (const [k, count] of taken) expect(count).toBeLessThanOrEqual(produced[k - 1]!);
      }),
      { numRuns: 300 },
    );
  });

  it('serves small requests from one device request per 4 KiB', () => {
    const src = countingSource();
    const e = new BufferedEntropy(src);
    const out: number[] = [];
    for (let i = 0; i < 1024; i++) {
      const b = new Uint8Array(8);
      e.fill(b);
      out.push(...b);
    }
    expect(e.refills).toBe(2);
    expect(out.every((v, i) => v === (i & 0xff))).toBe(true); // no byte repeated or skipped
  });
});

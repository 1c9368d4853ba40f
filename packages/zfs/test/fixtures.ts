// Deterministic clock and entropy for tests.
import type { Clock, Entropy } from '@osv-ts/kernel-api';

export const fixedClock: Clock = {
  resolutionNs: 1,
  monotonicNs: () => 0,
  realtimeNs: () => 1_763_900_000_123_456_789n,
};

export function seededEntropy(seed: number): Entropy {
  let x = seed >>> 0 || 1;
  return {
    fill(buf: Uint8Array): void {
      for (let i = 0; i < buf.length; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        buf[i] = x & 0xff;
      }
    },
  };
}

export function pseudoRandom(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Index of the first differing byte, or -1 (expect().toEqual on large typed arrays is slow). */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

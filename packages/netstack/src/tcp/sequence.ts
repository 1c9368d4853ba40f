// Modular 32-bit sequence-number arithmetic (RFC 9293 §3.4; RFC 1982 serial-number comparison).
// Sequence numbers are plain unsigned 32-bit numbers; comparisons look at the signed 32-bit
// difference, so they are correct across wrap-around as long as the two lie within 2^31.

export const Sequence = {
  add: (a: number, n: number): number => (a + n) >>> 0,
  /** Signed distance a - b. */
  diff: (a: number, b: number): number => (a - b) | 0,
  lt: (a: number, b: number): boolean => ((a - b) | 0) < 0,
  le: (a: number, b: number): boolean => ((a - b) | 0) <= 0,
  gt: (a: number, b: number): boolean => ((a - b) | 0) > 0,
  ge: (a: number, b: number): boolean => ((a - b) | 0) >= 0,
  max: (a: number, b: number): number => (((a - b) | 0) >= 0 ? a : b),
  min: (a: number, b: number): number => (((a - b) | 0) <= 0 ? a : b),
  /** a <= x < b, modulo 2^32. */
  inRange: (x: number, a: number, b: number): boolean => ((x - a) | 0) >= 0 && ((x - b) | 0) < 0,
} as const;

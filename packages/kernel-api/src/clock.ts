// Time enters every core from outside (CONTRIBUTING.md, "How code reads": time, randomness and I/O come in from outside).

/**
 * A source of time. Monotonic time is a float64 count of nanoseconds: exact to the nanosecond
 * for 2^53 ns (about 104 days of uptime), which keeps hot paths free of BigInt.
 */
export interface Clock {
  /** CLOCK_MONOTONIC in nanoseconds since an arbitrary origin (boot). Never decreases. */
  monotonicNs(): number;
  /** CLOCK_REALTIME in nanoseconds since the Unix epoch. */
  realtimeNs(): bigint;
  /** Resolution of monotonicNs() in nanoseconds. */
  readonly resolutionNs: number;
}

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

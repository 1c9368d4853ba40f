// Clock implementations. HostClock reads the platform's high-resolution timer (the vCPU's
// "TSC"); VirtualClock only moves when told to, for deterministic simulation.
import type { Clock } from '@osv-ts/kernel-api';

/** Wall-clock time from the host platform (performance.now / timeOrigin: web standards). */
export class HostClock implements Clock {
  readonly resolutionNs = 1_000;
  private readonly originMs: number;
  /** performance.timeOrigin as ns since the epoch, converted once: its getter is slow, and a
   *  read is then one BigInt conversion and one addition (ramfs stamps mtime on every write). */
  private readonly timeOriginNs: bigint;

  constructor(originMs: number = performance.now()) {
    this.originMs = originMs;
    const ms = performance.timeOrigin;
    const whole = Math.floor(ms);
    this.timeOriginNs = BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
  }

  monotonicNs(): number {
    return Math.round((performance.now() - this.originMs) * 1e6);
  }

  realtimeNs(): bigint {
    return this.timeOriginNs + BigInt(Math.round(performance.now() * 1e6));
  }
}

/** A clock that stands still until advanced: time in simulations. */
export class VirtualClock implements Clock {
  readonly resolutionNs = 1;
  private nowNs = 0;

  constructor(private readonly epochNs: bigint = 1_700_000_000_000_000_000n) {}

  monotonicNs(): number {
    return this.nowNs;
  }

  realtimeNs(): bigint {
    return this.epochNs + BigInt(this.nowNs);
  }

  advanceTo(ns: number): void {
    if (ns > this.nowNs) this.nowNs = ns;
  }

  advanceBy(ns: number): void {
    if (ns > 0) this.nowNs += ns;
  }
}

// POSIX clocks (clock_gettime/clock_getres) as WASI's clock_time_get and libc need them.
// Clock ids are Linux's (include/uapi/linux/time.h); WASI preview1 uses the same numbers for
// the four it defines (realtime 0, monotonic 1, process 2, thread 3).
import { Errno, KernelError, type Clock } from '@osv-ts/kernel-api';
import type { Scheduler } from './scheduler.js';

export const ClockId = {
  REALTIME: 0,
  MONOTONIC: 1,
  PROCESS_CPUTIME_ID: 2,
  THREAD_CPUTIME_ID: 3,
  MONOTONIC_RAW: 4,
  REALTIME_COARSE: 5,
  MONOTONIC_COARSE: 6,
  BOOTTIME: 7,
} as const;
export type ClockIdValue = (typeof ClockId)[keyof typeof ClockId];

/** Resolution the coarse clocks advertise (Linux: one jiffy; OSv has no tick, so 1 ms). */
const COARSE_RESOLUTION_NS = 1_000_000n;

export class PosixClocks {
  constructor(
    readonly clock: Clock,
    private readonly sched: Scheduler,
  ) {}

  /** clock_gettime(id) in nanoseconds. Throws KernelError(EINVAL) for an unknown clock. */
  timeNs(id: number): bigint {
    switch (id) {
      case ClockId.REALTIME:
        return this.clock.realtimeNs();
      case ClockId.REALTIME_COARSE: {
        const ns = this.clock.realtimeNs();
        return ns - (ns % COARSE_RESOLUTION_NS);
      }
      case ClockId.MONOTONIC:
      case ClockId.MONOTONIC_RAW:
      case ClockId.BOOTTIME:
        return BigInt(Math.floor(this.clock.monotonicNs()));
      case ClockId.MONOTONIC_COARSE: {
        const ns = BigInt(Math.floor(this.clock.monotonicNs()));
        return ns - (ns % COARSE_RESOLUTION_NS);
      }
      case ClockId.PROCESS_CPUTIME_ID:
        return BigInt(Math.floor(this.sched.processCpuTimeNs()));
      case ClockId.THREAD_CPUTIME_ID:
        return BigInt(Math.floor(this.sched.threadCpuTimeNs()));
      default:
        throw new KernelError(Errno.EINVAL, `unknown clock id ${id}`);
    }
  }

  /** clock_getres(id) in nanoseconds. */
  resolutionNs(id: number): bigint {
    switch (id) {
      case ClockId.REALTIME_COARSE:
      case ClockId.MONOTONIC_COARSE:
        return COARSE_RESOLUTION_NS;
      case ClockId.REALTIME:
      case ClockId.MONOTONIC:
      case ClockId.MONOTONIC_RAW:
      case ClockId.BOOTTIME:
      case ClockId.PROCESS_CPUTIME_ID:
      case ClockId.THREAD_CPUTIME_ID:
        return BigInt(Math.max(1, Math.round(this.clock.resolutionNs)));
      default:
        throw new KernelError(Errno.EINVAL, `unknown clock id ${id}`);
    }
  }
}

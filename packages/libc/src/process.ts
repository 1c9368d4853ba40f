// A process as libc sees it: arguments, environment, the fd table, and the kernel services its
// calls reach (clock, entropy, the scheduler's blocking adapter).
import type { Clock, Entropy } from '@osv-ts/kernel-api';
import type { Scheduler, Tracer } from '@osv-ts/core-sched';
import { FdTable } from './fd/fd-table.js';

/** Thrown by proc_exit / exit() to unwind the app's stack; carries the exit status. */
export class ProcessExit extends Error {
  override readonly name = 'ProcessExit';
  constructor(readonly status: number) {
    super(`process exited with status ${status}`);
  }
}

export interface ProcessOptions {
  args: string[];
  /** KEY=VALUE strings. */
  env: string[];
  clock: Clock;
  entropy: Entropy;
  sched: Scheduler;
  fds?: FdTable;
  /** Where the `wasi_call` tracepoint goes (OSv's --trace=wasi*). */
  tracer?: Tracer;
}

export class Process {
  readonly args: string[];
  readonly env: string[];
  readonly clock: Clock;
  readonly entropy: Entropy;
  readonly sched: Scheduler;
  readonly fds: FdTable;
  readonly tracer: Tracer | undefined;
  /** CPU time accounting origin for CLOCK_PROCESS_CPUTIME_ID. */
  readonly startNs: number;

  constructor(options: ProcessOptions) {
    this.args = options.args;
    this.env = options.env;
    this.clock = options.clock;
    this.entropy = options.entropy;
    this.sched = options.sched;
    this.fds = options.fds ?? new FdTable();
    this.tracer = options.tracer;
    this.startNs = options.clock.monotonicNs();
  }

  /** Blocks the calling (app) thread until `ready()` holds. */
  block(ready: () => boolean, deadlineNs?: number): boolean {
    return this.sched.block(ready, deadlineNs);
  }
}

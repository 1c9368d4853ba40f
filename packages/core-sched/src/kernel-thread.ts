// Kernel threads are generator functions run by the Scheduler. A thread gives up the CPU by
// yielding: nothing (a plain yield), a WaitQueue (park until woken), or a WaitRequest
// (park on several queues and/or until a deadline). Generators are the JS-native form of a
// stackful coroutine that needs no transpiler and no Promise machinery, which matters because
// the guest never awaits (DESIGN.md §3): a Promise continuation would never run while the app
// is blocked in a WASI call.
import type { WaitQueue, Waiter } from './wait-queue.js';

export interface WaitRequest {
  queues: readonly WaitQueue[];
  /** Absolute monotonic deadline; the thread wakes then even if no queue was woken. */
  deadlineNs?: number;
}

/** What a kernel thread may yield. */
export type Wait = WaitQueue | WaitRequest | undefined | void;

export type ThreadBody = Generator<Wait, void, void>;

export type ThreadState = 'runnable' | 'running' | 'waiting' | 'dead';

export interface ThreadOptions {
  name?: string;
  /** Lower value = more important; OSv's default priority is 1.0. */
  priority?: number;
}

export class KernelThread implements Waiter {
  state: ThreadState = 'runnable';
  /** Nanoseconds of CPU the thread consumed. */
  runtimeNs = 0;
  /** Queues it is parked on, so a wake-up from one removes it from the others. */
  parkedOn: readonly WaitQueue[] = [];
  deadlineTimer: unknown = undefined;
  /** Set when the thread ended with an exception. */
  error: unknown = undefined;
  readonly locals = new Map<symbol | string, unknown>();

  constructor(
    readonly id: number,
    readonly name: string,
    public priority: number,
    readonly body: ThreadBody,
    private readonly onWake: (t: KernelThread) => void,
  ) {}

  wake(): void {
    this.onWake(this);
  }
}

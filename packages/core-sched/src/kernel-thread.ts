// Kernel threads are generator functions run by the Scheduler. A thread gives up the CPU by
// yielding: nothing (a plain yield: a scheduling point), a WaitQueue (park until woken), or a
// WaitRequest (park on several queues and/or until a deadline).
//
// Why generators: they are the JS-native form of a coroutine that keeps its own frame across a
// suspension with no transpiler and no Promise machinery. A Promise continuation would never
// run while the app is blocked in a WASI call (docs/architecture.md §3), and explicit continuations would
// turn every kernel loop inside out. `yield*` composes them: a blocking kernel operation is a
// generator that the caller delegates to (`yield* mutex.lock()`), which is how OSv's blocking
// calls read in C++.
import type { WaitQueue, Waiter } from './wait-queue.js';

export interface WaitRequest {
  queues: readonly WaitQueue[];
  /** Absolute monotonic deadline; the thread wakes then even if no queue was woken. */
  deadlineNs?: number;
}

/** What a kernel thread may yield. */
export type Wait = WaitQueue | WaitRequest | undefined | void;

/** A blocking kernel operation: run it with `yield*` in a kernel thread or `Scheduler.run` on the app thread. */
export type Blocking<T = void> = Generator<Wait, T, void>;

export type ThreadBody = Generator<Wait, void, void>;

export type ThreadState = 'runnable' | 'running' | 'waiting' | 'dead';

export interface ThreadOptions {
  name?: string;
  /**
   * OSv's fair-share priority: a weight on consumed run time, so lower is more important and
   * a thread of priority p gets 1/p times the CPU share of a priority-1 thread. Default 1.
   */
  priority?: number;
  /**
   * OSv's real-time priority (sched::thread::set_realtime_priority): 0 means time-shared;
   * a positive value runs before every time-shared thread, higher first, FIFO among equals.
   */
  realtimePriority?: number;
  /** vCPU whose run queue the thread lives on. Only vCPU 0 exists today. */
  cpu?: number;
}

export class KernelThread implements Waiter {
  state: ThreadState = 'runnable';
  /** Nanoseconds of CPU the thread consumed (CLOCK_THREAD_CPUTIME_ID). */
  runtimeNs = 0;
  /**
   * Decayed run time in the run queue's scaled representation (see RunQueue): the value the
   * scheduler compares. Only meaningful relative to threads of the same run queue.
   */
  scaledRuntime = 0;
  /** Order of entry into the run queue; breaks ties FIFO. */
  enqueueSequence = 0;
  /** Index in the run queue's heap, -1 when not queued. */
  queueIndex = -1;
  /** Queues it is parked on, so a wake-up from one removes it from the others. */
  parkedOn: WaitQueue | readonly WaitQueue[] = [];
  /** Queue whose wake-up ended the last wait; undefined when the deadline did. */
  wokenBy: WaitQueue | undefined = undefined;
  deadlineTimer: unknown = undefined;
  /** Set when the thread ended with an exception. */
  error: unknown = undefined;
  /** Number of times the thread was switched to. */
  switches = 0;
  /** Thread-local data (see ThreadLocal). */
  readonly locals = new Map<symbol | string, unknown>();

  constructor(
    readonly id: number,
    readonly name: string,
    public priority: number,
    readonly body: ThreadBody,
    private readonly onWake: (t: KernelThread, source: WaitQueue | undefined) => void,
    public realtimePriority = 0,
    readonly cpu = 0,
  ) {}

  wake(source?: WaitQueue): void {
    this.onWake(this, source);
  }
}

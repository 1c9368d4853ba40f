// The scheduler: a run queue per vCPU (one vCPU today), kernel threads as generators, timers
// from an injected Clock, and two adapters over the same non-blocking core (docs/architecture.md §3):
//  - block(cond) / run(op): the blocking adapter for the app thread, which runs on the native
//    stack under the app's wasm frames and so cannot yield; it runs other threads, timers and
//    interrupts until its condition holds, and idles the vCPU when nothing is runnable.
//  - whenTrue(cond) / runAsync(op): the async adapter (Promises) for library users and host code.
//
// Preemption is cooperative: a thread runs until it yields. Every yield is a scheduling point
// where the run queue (run-queue.ts) picks the thread that should run next, so a thread of
// higher priority that became runnable runs at the next scheduling point.
import { Errno, KernelError, type Clock } from '@osv-ts/kernel-api';
import { VirtualCpu, type Cpu } from './cpu.js';
import {
  KernelThread,
  type Blocking,
  type ThreadBody,
  type ThreadOptions,
  type Wait,
  type WaitRequest,
} from './kernel-thread.js';
import { DEFAULT_TAU_NS, RunQueue } from './run-queue.js';
import { TimerQueue, type Timer } from './timer-queue.js';
import { Tracer, type Tracepoint } from './tracer.js';
import { WaitQueue, type Waiter } from './wait-queue.js';

const NO_QUEUES: readonly WaitQueue[] = [];

export class DeadlockError extends Error {
  override readonly name = 'DeadlockError';
}

export interface SchedulerOptions {
  /** Decay time constant of run time (OSv: 200 ms). */
  tauNs?: number;
  /** Where the scheduler's tracepoints (sched_switch, sched_wake, sched_idle, timer_fired) go. */
  tracer?: Tracer;
  /**
   * Called when a kernel thread ends with an exception. By default the exception propagates
   * out of runOnce() (and so out of block()/run()) after joiners have been woken: a kernel
   * thread crashing is a kernel bug that must not pass silently.
   */
  onThreadError?: (thread: KernelThread, error: unknown) => void;
}

/** A thread as `osv info threads` / a /proc task listing shows it. */
export interface ThreadInfo {
  id: number;
  name: string;
  state: KernelThread['state'];
  cpu: number;
  priority: number;
  realtimePriority: number;
  runtimeNs: number;
  /** Decayed run time R(t) the scheduler orders time-shared threads by. */
  decayedRuntimeNs: number;
  switches: number;
}

/** A waiter for code that is not a kernel thread: it only records that it was woken, and by what. */
class WakeFlag implements Waiter {
  woken = false;
  source: WaitQueue | undefined = undefined;
  wake(source?: WaitQueue): void {
    if (!this.woken) this.source = source;
    this.woken = true;
  }
}

/** How long the app thread computes between two preemption points that run kernel threads. */
const APP_SLICE_NS = 4_000_000;
/** The most a preemption point runs kernel threads, interrupts and timers for. */
const KERNEL_SLICE_NS = 400_000;

export class Scheduler {
  /** When the app thread's current slice ends (preemptionPoint). */
  private nextPreemptionNs = 0;
  readonly timers = new TimerQueue();
  readonly tracer: Tracer;
  private readonly runQueues: RunQueue[];
  private readonly threadsById = new Map<number, KernelThread>();
  private nextId = 1;
  private current: KernelThread | undefined;
  private readonly exitQueues = new Map<number, WaitQueue>();
  private readonly onThreadError: ((thread: KernelThread, error: unknown) => void) | undefined;
  /** Thread-local data of the app thread (kernel threads keep theirs on KernelThread.locals). */
  readonly appLocals = new Map<symbol | string, unknown>();
  /** Source of the last wake-up of a wait run by run() on the app thread. */
  private appWokenBy: WaitQueue | undefined = undefined;
  /** Nanoseconds spent in Cpu.idle (the vCPU halted). */
  idleNs = 0;
  /** Nanoseconds spent running kernel thread steps. */
  kernelThreadNs = 0;
  /** Context switches: steps of a thread other than the previous one. */
  switches = 0;
  private lastStepped: KernelThread | undefined;
  private readonly startNs: number;

  private readonly tpSwitch: Tracepoint<['u32', 'u32']>;
  private readonly tpWake: Tracepoint<['u32']>;
  private readonly tpIdle: Tracepoint<['f64']>;
  private readonly tpTimer: Tracepoint<['f64']>;
  private readonly tpCreate: Tracepoint<['u32', 'str']>;
  private readonly tpExit: Tracepoint<['u32']>;

  constructor(
    readonly clock: Clock,
    readonly cpu: Cpu,
    options: SchedulerOptions = {},
  ) {
    this.startNs = clock.monotonicNs();
    this.runQueues = [new RunQueue(0, this.startNs, options.tauNs ?? DEFAULT_TAU_NS)];
    this.onThreadError = options.onThreadError;
    this.tracer = options.tracer ?? new Tracer(clock);
    this.tracer.threadId = () => this.current?.id ?? 0;
    // Names and formats follow OSv's core/sched.cc tracepoints.
    this.tpSwitch = this.tracer.tracepoint('sched_switch', 'to %u from %u', ['u32', 'u32']);
    this.tpWake = this.tracer.tracepoint('sched_wake', 'wake %u', ['u32']);
    this.tpIdle = this.tracer.tracepoint('sched_idle', 'idle until %g', ['f64']);
    this.tpTimer = this.tracer.tracepoint('timer_fired', 'now %g', ['f64']);
    this.tpCreate = this.tracer.tracepoint('thread_create', 'thread=%u %s', ['u32', 'str']);
    this.tpExit = this.tracer.tracepoint('thread_exit', 'thread=%u', ['u32']);
  }

  /** The kernel thread whose step is running, or undefined on the app thread. */
  get currentThread(): KernelThread | undefined {
    return this.current;
  }

  get threadCount(): number {
    return this.threadsById.size;
  }

  /** Live kernel threads in creation order. */
  threads(): IterableIterator<KernelThread> {
    return this.threadsById.values();
  }

  thread(id: number): KernelThread | undefined {
    return this.threadsById.get(id);
  }

  /** Every live kernel thread, for thread listings. */
  threadInfo(): ThreadInfo[] {
    const now = this.clock.monotonicNs();
    return [...this.threadsById.values()].map((t) => ({
      id: t.id,
      name: t.name,
      state: t.state,
      cpu: t.cpu,
      priority: t.priority,
      realtimePriority: t.realtimePriority,
      runtimeNs: t.runtimeNs,
      decayedRuntimeNs: this.runQueues[t.cpu]!.decayedRuntimeNs(t, now),
      switches: t.switches,
    }));
  }

  /** Run queue of vCPU `cpu` (for tests and /proc-style figures). */
  runQueue(cpu = 0): RunQueue {
    return this.runQueues[cpu]!;
  }

  spawn(body: () => ThreadBody, options: ThreadOptions = {}): KernelThread {
    const cpu = options.cpu ?? 0;
    const rq = this.runQueues[cpu];
    if (rq === undefined)
      throw new KernelError(Errno.EINVAL, `no vCPU ${cpu}: this scheduler runs ${this.runQueues.length}`);
    const id = this.nextId++;
    const priority = options.priority ?? 1;
    if (!(priority > 0) || !Number.isFinite(priority))
      throw new KernelError(Errno.EINVAL, `thread priority must be a positive number, got ${priority}`);
    const thread = new KernelThread(
      id,
      options.name ?? `thread-${id}`,
      priority,
      body(),
      (t, source) => this.makeRunnable(t, source),
      options.realtimePriority ?? 0,
      cpu,
    );
    this.threadsById.set(id, thread);
    rq.attach(thread, this.clock.monotonicNs());
    rq.push(thread);
    if (this.tpCreate.enabled) this.tpCreate.emit(id, thread.name);
    return thread;
  }

  /**
   * A thread id from the sequence kernel threads take, for a thread this scheduler does not run
   * (an app on the app thread), so that ids never name two threads.
   */
  reserveThreadId(): number {
    return this.nextId++;
  }

  /** Changes a thread's priorities; a queued thread takes its new place at once. */
  setPriority(thread: KernelThread, priority: number, realtimePriority = thread.realtimePriority): void {
    if (!(priority > 0) || !Number.isFinite(priority))
      throw new KernelError(Errno.EINVAL, `thread priority must be a positive number, got ${priority}`);
    const rq = this.runQueues[thread.cpu]!;
    const queued = thread.queueIndex >= 0;
    if (queued) rq.remove(thread);
    thread.priority = priority;
    thread.realtimePriority = realtimePriority;
    if (queued) rq.push(thread);
  }

  /** A blocking operation that parks the caller until `thread` has ended. */
  *join(thread: KernelThread): Blocking {
    while (thread.state !== 'dead') yield this.exitQueue(thread);
  }

  /** A blocking operation that sleeps the caller for `ns` nanoseconds. */
  sleep(ns: number): Blocking {
    return this.sleepUntil(this.clock.monotonicNs() + ns);
  }

  /** A blocking operation that sleeps the caller until the monotonic clock reaches `deadlineNs`. */
  *sleepUntil(deadlineNs: number): Blocking {
    while (this.clock.monotonicNs() < deadlineNs) yield { queues: [], deadlineNs };
  }

  /** A blocking operation that parks until `cond()` holds, re-checking each time `queue` is woken. */
  *waitUntil(queue: WaitQueue, cond: () => boolean): Blocking {
    while (!cond()) yield queue;
  }

  /**
   * The multi-source wait behind poll_oneoff/poll/select: parks until one of `queues` is woken
   * or `deadlineNs` passes. Returns the index of the queue whose wake-up ended the wait, or -1
   * for the deadline. Callers re-check their readiness conditions afterwards (a wake-up is a
   * hint, never a guarantee), and check them before waiting, in the same step.
   */
  *waitAny(queues: readonly WaitQueue[], deadlineNs?: number): Blocking<number> {
    if (deadlineNs !== undefined && this.clock.monotonicNs() >= deadlineNs) return -1;
    yield deadlineNs === undefined ? { queues } : { queues, deadlineNs };
    const source = this.current !== undefined ? this.current.wokenBy : this.appWokenBy;
    return source === undefined ? -1 : queues.indexOf(source);
  }

  /**
   * The blocking adapter. Runs kernel threads, expired timers and interrupt handlers until
   * `cond()` holds, idling the CPU when nothing is runnable. Returns true when the condition
   * holds, false when `deadlineNs` passed first.
   */
  block(cond: () => boolean, deadlineNs?: number): boolean {
    for (;;) {
      if (cond()) return true;
      if (deadlineNs !== undefined && this.clock.monotonicNs() >= deadlineNs) return cond();
      if (this.runOnce()) continue;
      let wake = this.timers.nextDeadlineNs();
      if (deadlineNs !== undefined && (wake === undefined || deadlineNs < wake)) wake = deadlineNs;
      if (this.tpIdle.enabled) this.tpIdle.emit(wake ?? -1);
      const before = this.clock.monotonicNs();
      const idled = this.cpu.idle(wake);
      this.idleNs += this.clock.monotonicNs() - before;
      if (!idled) throw new DeadlockError('every thread is waiting and nothing can wake them');
    }
  }

  /**
   * Runs a blocking operation on the app thread (or any non-generator caller): each wait it
   * yields becomes a block() until one of its queues is woken or its deadline passes.
   */
  run<T>(op: Blocking<T>): T {
    let r = op.next();
    while (!r.done) {
      const wait = r.value;
      if (wait === undefined) {
        this.runOnce();
      } else {
        const request: WaitRequest = wait instanceof WaitQueue ? { queues: [wait] } : wait;
        const flag = new WakeFlag();
        for (const q of request.queues) q.add(flag);
        try {
          this.block(() => flag.woken, request.deadlineNs);
        } finally {
          for (const q of request.queues) q.remove(flag);
        }
        this.appWokenBy = flag.source;
      }
      r = op.next();
    }
    return r.value;
  }

  /** The async adapter: resolves once `cond()` holds, driving the scheduler from the event loop. */
  whenTrue(cond: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const step = (): void => {
        try {
          let budget = 1000;
          while (budget-- > 0) {
            if (cond()) return resolve();
            if (!this.runOnce()) break;
          }
          if (cond()) return resolve();
          const next = this.timers.nextDeadlineNs();
          if (this.cpu instanceof VirtualCpu) {
            // Simulated time: idling jumps the clock, so there is nothing to wait for in real time.
            if (this.cpu.idle(next)) return void queueMicrotask(step);
            throw new DeadlockError('every thread is waiting and nothing can wake them');
          }
          const delayMs = next === undefined ? 1 : Math.max(0, (next - this.clock.monotonicNs()) / 1e6);
          setTimeout(step, Math.min(delayMs, 10));
        } catch (e) {
          reject(e);
        }
      };
      step();
    });
  }

  /** The async adapter for a blocking operation. */
  async runAsync<T>(op: Blocking<T>): Promise<T> {
    let r = op.next();
    while (!r.done) {
      const wait = r.value;
      if (wait === undefined) {
        await this.whenTrue(() => true);
        this.runOnce();
      } else {
        const request: WaitRequest = wait instanceof WaitQueue ? { queues: [wait] } : wait;
        const flag = new WakeFlag();
        for (const q of request.queues) q.add(flag);
        const deadline = request.deadlineNs;
        // A timer at the deadline, so that idling (or a virtual clock's jump) knows to stop there.
        const alarm = deadline !== undefined ? this.timers.add(deadline, () => {}) : undefined;
        try {
          await this.whenTrue(() => flag.woken || (deadline !== undefined && this.clock.monotonicNs() >= deadline));
        } finally {
          for (const q of request.queues) q.remove(flag);
          if (alarm !== undefined) this.timers.cancel(alarm);
        }
        this.appWokenBy = flag.source;
      }
      r = op.next();
    }
    return r.value;
  }

  /**
   * Does one unit of work: handle interrupts, fire expired timers, or run one step of the
   * thread the run queue puts first. Returns false when there was nothing to do.
   */
  runOnce(): boolean {
    let did = this.cpu.pollInterrupts();
    const now = this.clock.monotonicNs();
    if (this.timers.expire(now) > 0) {
      did = true;
      if (this.tpTimer.enabled) this.tpTimer.emit(now);
    }
    const thread = this.runQueues[0]!.pop();
    if (thread === undefined) return did;
    this.step(thread);
    return true;
  }

  /**
   * A preemption point of the app thread (the end of a system call). When an interrupt is
   * pending and the app has had its slice (APP_SLICE_NS since the last preemption), delivers
   * it and runs what it made runnable, for at most KERNEL_SLICE_NS: under a stream of
   * interrupts (a loaded management API) an app that computes between system calls keeps
   * ~90% of the vCPU, as OSv's app would on a core of its own. Free when nothing is pending:
   * one load of the interrupt word; the clock is read only when something is. Kernel threads
   * (current set) are never preempted here; a blocked app thread gives them the vCPU anyway.
   */
  preemptionPoint(): void {
    if (this.current !== undefined || this.cpu.interruptPending?.() !== true) return;
    const start = this.clock.monotonicNs();
    if (start < this.nextPreemptionNs) return;
    const until = start + KERNEL_SLICE_NS;
    while (this.runOnce() && this.clock.monotonicNs() < until) {
      /* keep going */
    }
    this.nextPreemptionNs = this.clock.monotonicNs() + APP_SLICE_NS;
  }

  /** Runs until no thread is runnable and no timer is due, without idling. */
  runPending(): void {
    while (this.runOnce()) {
      /* keep going */
    }
  }

  /** CLOCK_PROCESS_CPUTIME_ID: time the vCPU was not idle since the scheduler started. */
  processCpuTimeNs(): number {
    return this.clock.monotonicNs() - this.startNs - this.idleNs;
  }

  /**
   * CLOCK_THREAD_CPUTIME_ID of the calling thread: a kernel thread's own run time; for the app
   * thread, the process time not spent in kernel threads.
   */
  threadCpuTimeNs(thread: KernelThread | undefined = this.current): number {
    if (thread !== undefined) return thread.runtimeNs;
    return Math.max(0, this.processCpuTimeNs() - this.kernelThreadNs);
  }

  private step(thread: KernelThread): void {
    if (thread.state === 'dead') return;
    const rq = this.runQueues[thread.cpu]!;
    if (thread !== this.lastStepped) {
      this.switches++;
      thread.switches++;
      if (this.tpSwitch.enabled) this.tpSwitch.emit(thread.id, this.lastStepped?.id ?? 0);
      this.lastStepped = thread;
    }
    const previous = this.current;
    this.current = thread;
    thread.state = 'running';
    const start = this.clock.monotonicNs();
    let result: IteratorResult<Wait, void>;
    let failed = false;
    try {
      result = thread.body.next();
    } catch (e) {
      thread.error = e;
      failed = true;
      result = { done: true, value: undefined };
    } finally {
      const end = this.clock.monotonicNs();
      thread.runtimeNs += end - start;
      this.kernelThreadNs += end - start;
      rq.charge(thread, end - start, end);
      this.current = previous;
    }
    if (result.done) {
      this.exit(thread);
      if (failed) {
        if (this.onThreadError !== undefined) this.onThreadError(thread, thread.error);
        else throw thread.error;
      }
      return;
    }
    this.park(thread, result.value);
  }

  private park(thread: KernelThread, wait: Wait): void {
    if (wait === undefined) {
      thread.state = 'runnable';
      this.runQueues[thread.cpu]!.push(thread);
      return;
    }
    thread.state = 'waiting';
    thread.wokenBy = undefined;
    // The common case, one queue and no deadline, allocates nothing.
    if (wait instanceof WaitQueue) {
      thread.parkedOn = wait;
      wait.add(thread);
      return;
    }
    thread.parkedOn = wait.queues;
    for (const q of wait.queues) q.add(thread);
    if (wait.deadlineNs !== undefined) {
      thread.deadlineTimer = this.timers.add(wait.deadlineNs, () => this.makeRunnable(thread, undefined));
    }
  }

  private makeRunnable(thread: KernelThread, source: WaitQueue | undefined): void {
    if (thread.state !== 'waiting') return;
    const parked = thread.parkedOn;
    if (parked instanceof WaitQueue) parked.remove(thread);
    else for (const q of parked) q.remove(thread);
    thread.parkedOn = NO_QUEUES;
    thread.wokenBy = source;
    if (thread.deadlineTimer !== undefined) {
      this.timers.cancel(thread.deadlineTimer as Timer);
      thread.deadlineTimer = undefined;
    }
    thread.state = 'runnable';
    if (this.tpWake.enabled) this.tpWake.emit(thread.id);
    this.runQueues[thread.cpu]!.push(thread);
  }

  private exit(thread: KernelThread): void {
    thread.state = 'dead';
    this.threadsById.delete(thread.id);
    this.runQueues[thread.cpu]!.detach(thread);
    if (this.lastStepped === thread) this.lastStepped = undefined;
    if (this.tpExit.enabled) this.tpExit.emit(thread.id);
    const q = this.exitQueues.get(thread.id);
    if (q) {
      this.exitQueues.delete(thread.id);
      q.wakeAll();
    }
  }

  private exitQueue(thread: KernelThread): WaitQueue {
    let q = this.exitQueues.get(thread.id);
    if (!q) {
      q = new WaitQueue(`join:${thread.name}`);
      this.exitQueues.set(thread.id, q);
    }
    return q;
  }
}

// The scheduler: one run queue per vCPU (only one vCPU for now), kernel threads as generators,
// timers from an injected Clock, and two adapters over the same core:
//  - block(cond): the blocking adapter for the app thread, which runs on the native stack
//    under the app's wasm frames and so cannot yield; it runs other threads, timers and
//    interrupts until its condition holds, and idles the CPU when nothing is runnable.
//  - whenTrue(cond): the async adapter (a Promise) for library users and host code.
import type { Clock } from '@osv-ts/kernel-api';
import type { Cpu } from './cpu.js';
import { KernelThread, type ThreadBody, type ThreadOptions, type Wait, type WaitRequest } from './kernel-thread.js';
import { TimerQueue, type Timer } from './timer-queue.js';
import { WaitQueue, type Waiter } from './wait-queue.js';

export class DeadlockError extends Error {
  override readonly name = 'DeadlockError';
}

export class Scheduler {
  readonly timers = new TimerQueue();
  private readonly runQueue: KernelThread[] = [];
  private readonly threads = new Map<number, KernelThread>();
  private nextId = 1;
  private current: KernelThread | undefined;
  private readonly exitQueues = new Map<number, WaitQueue>();

  constructor(
    readonly clock: Clock,
    readonly cpu: Cpu,
  ) {}

  /** The kernel thread whose step is running, or undefined on the app thread. */
  get currentThread(): KernelThread | undefined {
    return this.current;
  }

  get threadCount(): number {
    return this.threads.size;
  }

  spawn(body: () => ThreadBody, options: ThreadOptions = {}): KernelThread {
    const id = this.nextId++;
    const thread = new KernelThread(id, options.name ?? `thread-${id}`, options.priority ?? 1, body(), (t) =>
      this.makeRunnable(t),
    );
    this.threads.set(id, thread);
    this.runQueue.push(thread);
    return thread;
  }

  /** A generator that parks the calling kernel thread until `thread` has ended. */
  *join(thread: KernelThread): ThreadBody {
    while (thread.state !== 'dead') yield this.exitQueue(thread);
  }

  /** A generator that sleeps the calling kernel thread for `ns` nanoseconds. */
  *sleep(ns: number): ThreadBody {
    const deadlineNs = this.clock.monotonicNs() + ns;
    while (this.clock.monotonicNs() < deadlineNs) yield { queues: [], deadlineNs };
  }

  /** A generator that parks until `cond()` holds, re-checking each time `queue` is woken. */
  *waitUntil(queue: WaitQueue, cond: () => boolean): ThreadBody {
    while (!cond()) yield queue;
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
      if (!this.cpu.idle(wake)) {
        throw new DeadlockError('every thread is waiting and nothing can wake them');
      }
    }
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
          const delayMs = next === undefined ? 1 : Math.max(0, (next - this.clock.monotonicNs()) / 1e6);
          setTimeout(step, Math.min(delayMs, 10));
        } catch (e) {
          reject(e);
        }
      };
      step();
    });
  }

  /**
   * Does one unit of work: handle interrupts, fire expired timers, or run one step of the
   * next runnable thread. Returns false when there was nothing to do.
   */
  runOnce(): boolean {
    let did = this.cpu.pollInterrupts();
    if (this.timers.expire(this.clock.monotonicNs()) > 0) did = true;
    const thread = this.runQueue.shift();
    if (thread === undefined) return did;
    this.step(thread);
    return true;
  }

  /** Runs until no thread is runnable and no timer is due, without idling. */
  runPending(): void {
    while (this.runOnce()) {
      /* keep going */
    }
  }

  private step(thread: KernelThread): void {
    if (thread.state === 'dead') return;
    const previous = this.current;
    this.current = thread;
    thread.state = 'running';
    const start = this.clock.monotonicNs();
    let result: IteratorResult<Wait, void>;
    try {
      result = thread.body.next();
    } catch (e) {
      thread.error = e;
      result = { done: true, value: undefined };
    } finally {
      thread.runtimeNs += this.clock.monotonicNs() - start;
      this.current = previous;
    }
    if (result.done) {
      this.exit(thread);
      return;
    }
    this.park(thread, result.value);
  }

  private park(thread: KernelThread, wait: Wait): void {
    if (wait === undefined) {
      thread.state = 'runnable';
      this.runQueue.push(thread);
      return;
    }
    const request: WaitRequest = wait instanceof WaitQueue ? { queues: [wait] } : wait;
    thread.state = 'waiting';
    thread.parkedOn = request.queues;
    for (const q of request.queues) q.add(thread);
    if (request.deadlineNs !== undefined) {
      thread.deadlineTimer = this.timers.add(request.deadlineNs, () => this.makeRunnable(thread));
    }
  }

  private makeRunnable(thread: KernelThread): void {
    if (thread.state !== 'waiting') return;
    for (const q of thread.parkedOn) q.remove(thread as Waiter);
    thread.parkedOn = [];
    if (thread.deadlineTimer !== undefined) {
      this.timers.cancel(thread.deadlineTimer as Timer);
      thread.deadlineTimer = undefined;
    }
    thread.state = 'runnable';
    this.runQueue.push(thread);
  }

  private exit(thread: KernelThread): void {
    thread.state = 'dead';
    this.threads.delete(thread.id);
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

// Thread-local data (OSv: __thread variables; POSIX: pthread_key_create). Each ThreadLocal is
// a key; a kernel thread keeps its values on KernelThread.locals and the app thread on
// Scheduler.appLocals, so the value seen depends on which thread is running.
import type { Scheduler } from './scheduler.js';

export class ThreadLocal<T> {
  private readonly key: symbol;

  constructor(
    private readonly sched: Scheduler,
    private readonly initial: () => T,
    name = 'thread-local',
  ) {
    this.key = Symbol(name);
  }

  private slots(): Map<symbol | string, unknown> {
    return this.sched.currentThread?.locals ?? this.sched.appLocals;
  }

  get value(): T {
    const slots = this.slots();
    if (!slots.has(this.key)) slots.set(this.key, this.initial());
    return slots.get(this.key) as T;
  }

  set value(v: T) {
    this.slots().set(this.key, v);
  }
}

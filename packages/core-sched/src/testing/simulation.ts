// The deterministic simulation harness other packages' tests reuse: a virtual clock, a
// VirtualCpu whose idle jumps to the next deadline, a scheduler, a seeded PRNG, named fault
// hooks and an event log. Everything that happens is a function of the seed and the code, so a
// failing seed replays exactly. Nothing here touches real time.
import { VirtualClock } from '../clocks.js';
import { VirtualCpu } from '../cpu.js';
import type { Blocking, KernelThread, ThreadBody, ThreadOptions } from '../kernel-thread.js';
import { Scheduler, type SchedulerOptions } from '../scheduler.js';
import type { Timer } from '../timer-queue.js';
import { Tracer } from '../tracer.js';
import type { TraceRecord } from '../trace-ring.js';
import { SeededRandom } from './seeded-random.js';

export interface SimulationOptions {
  seed: number;
  /** Virtual monotonic time at the start. */
  startNs?: number;
  /** CLOCK_REALTIME at monotonic 0. */
  epochNs?: bigint;
  /** OSv --trace=<pattern> for the simulation's tracer. */
  trace?: string;
  scheduler?: Omit<SchedulerOptions, 'tracer'>;
}

export interface SimulationResult {
  /** Units of work run (interrupt polls, timer expiries, thread steps). */
  steps: number;
  nowNs: number;
  /** True when nothing was runnable and no timer was armed at the end. */
  quiescent: boolean;
  /** Threads still alive at the end: at quiescence these wait for something that never comes. */
  waiting: KernelThread[];
}

export type FaultHook = (sim: Simulation) => boolean;

export class Simulation {
  readonly clock: VirtualClock;
  readonly cpu: VirtualCpu;
  readonly tracer: Tracer;
  readonly sched: Scheduler;
  readonly random: SeededRandom;
  /** What happened, one line per event, stamped with virtual time: compare two runs with it. */
  readonly events: string[] = [];
  private readonly faultHooks = new Map<string, FaultHook>();
  readonly faultCounts = new Map<string, number>();

  constructor(options: SimulationOptions) {
    this.clock = new VirtualClock(options.epochNs);
    if (options.startNs !== undefined) this.clock.advanceTo(options.startNs);
    this.cpu = new VirtualCpu(this.clock);
    this.tracer = new Tracer(this.clock);
    this.sched = new Scheduler(this.clock, this.cpu, { ...options.scheduler, tracer: this.tracer });
    if (options.trace !== undefined) this.tracer.enable(options.trace);
    this.random = new SeededRandom(options.seed);
  }

  get nowNs(): number {
    return this.clock.monotonicNs();
  }

  spawn(name: string, body: () => ThreadBody, options: Omit<ThreadOptions, 'name'> = {}): KernelThread {
    return this.sched.spawn(body, { ...options, name });
  }

  /** Runs `fn` at virtual time `ns` (as a timer: a device completion, a packet arriving). */
  at(ns: number, fn: () => void): Timer {
    return this.sched.timers.add(ns, fn);
  }

  after(ns: number, fn: () => void): Timer {
    return this.at(this.nowNs + ns, fn);
  }

  /** Models `ns` of computation by the running code: the clock moves, nothing else runs. */
  consume(ns: number): void {
    this.clock.advanceBy(ns);
  }

  /** A CPU-bound slice: computes for `ns`, then reaches a scheduling point. */
  *compute(ns: number): Blocking {
    this.consume(ns);
    yield;
  }

  /** Appends a line to the event log. */
  log(message: string): void {
    this.events.push(`${this.nowNs} ${message}`);
  }

  /** Makes fault `name` happen with `probability` each time fault(name) is asked. */
  setFault(name: string, probability: number): void {
    this.faultHooks.set(name, (sim) => sim.random.chance(probability));
  }

  /** Installs an arbitrary fault hook (e.g. "fail the 3rd write"). */
  onFault(name: string, hook: FaultHook): void {
    this.faultHooks.set(name, hook);
  }

  clearFault(name: string): void {
    this.faultHooks.delete(name);
  }

  /** Asked by simulated devices and links: should fault `name` happen now? Logged when it does. */
  fault(name: string): boolean {
    const hook = this.faultHooks.get(name);
    if (hook === undefined || !hook(this)) return false;
    this.faultCounts.set(name, (this.faultCounts.get(name) ?? 0) + 1);
    this.log(`fault ${name}`);
    return true;
  }

  /**
   * Runs threads, timers and interrupt sources, jumping the clock to the next deadline when
   * idle, until nothing is left to do, everything due at `untilNs` has run, or `maxSteps` units
   * were run.
   */
  runUntilQuiescent(options: { untilNs?: number; maxSteps?: number } = {}): SimulationResult {
    const maxSteps = options.maxSteps ?? 10_000_000;
    let steps = 0;
    let quiescent = false;
    while (steps < maxSteps) {
      if (options.untilNs !== undefined && this.nowNs > options.untilNs) break;
      if (this.sched.runOnce()) {
        steps++;
        continue;
      }
      const next = this.sched.timers.nextDeadlineNs();
      if (next === undefined) {
        quiescent = true;
        break;
      }
      if (options.untilNs !== undefined && next > options.untilNs) {
        this.clock.advanceTo(options.untilNs);
        break;
      }
      this.clock.advanceTo(next);
    }
    return { steps, nowNs: this.nowNs, quiescent, waiting: [...this.sched.threads()] };
  }

  /** Runs for `ns` of virtual time. */
  runFor(ns: number): SimulationResult {
    return this.runUntilQuiescent({ untilNs: this.nowNs + ns });
  }

  /** The trace records written so far (enable tracepoints with the `trace` option). */
  trace(): TraceRecord[] {
    return this.tracer.records();
  }
}

// Tracepoints (OSv's include/osv/trace.hh): named, with a printf-style format and typed
// arguments, disabled until a pattern enables them. A disabled tracepoint costs one property
// load and a branch at the call site:
//
//   const tpRead = tracer.tracepoint('vfs_read', 'fd=%d len=%u', ['i32', 'u32']);
//   if (tpRead.enabled) tpRead.emit(fd, len);
//
// Enabled tracepoints append records to a TraceRing (trace-ring.ts), which lives in guest RAM
// when the kernel hands the tracer a region, so the host can read it while the guest runs.
import { Errno, KernelError, type Clock } from '@osv-ts/kernel-api';
import { matchesTracePattern } from './trace-pattern.js';
import {
  MAX_TRACE_ARGS,
  readTraceRing,
  TraceRing,
  type TraceArgType,
  type TraceArgValues,
  type TracepointInfo,
  type TraceReadResult,
  type TraceRecord,
} from './trace-ring.js';

export class Tracepoint<A extends readonly TraceArgType[] = readonly TraceArgType[]> implements TracepointInfo {
  /**
   * What call sites test: true while the tracepoint records into the ring or counts (OSv's
   * tracepoint_base::enabled() covers both, so a counted tracepoint's call site emits too).
   */
  enabled = false;
  /**
   * OSv's per-tracepoint backtrace flag (POST /trace/status sets it). Kept
   * and reported; records carry no backtrace, as a wasm/JS vCPU has no stack it can walk.
   */
  backtrace = false;
  /** Events counted since counting was turned on (OSv's tracepoint_counter). */
  count = 0;
  private recordingOn = false;
  private countingOn = false;

  constructor(
    private readonly tracer: Tracer,
    readonly id: number,
    readonly name: string,
    readonly format: string,
    readonly args: A,
  ) {}

  /** Records one event if enabled. Guard hot call sites with `if (tp.enabled)` to skip argument evaluation. */
  emit(...values: TraceArgValues<A>): void {
    if (!this.enabled) return;
    if (this.countingOn) this.count++;
    if (this.recordingOn) this.tracer.record(this, values);
  }

  /** Whether emitted events go into the trace ring (OSv's `--trace`, POST /trace/status). */
  get recording(): boolean {
    return this.recordingOn;
  }

  set recording(on: boolean) {
    this.recordingOn = on;
    this.enabled = on || this.countingOn;
  }

  /** Whether emitted events are counted; turning it on starts the count from 0 (POST /trace/count). */
  get counting(): boolean {
    return this.countingOn;
  }

  set counting(on: boolean) {
    if (on && !this.countingOn) this.count = 0;
    this.countingOn = on;
    this.enabled = on || this.recordingOn;
  }
}

export interface TracerOptions {
  /** Where records go; by default a 1 MiB ring in ordinary memory, made on first enable. */
  ring?: TraceRing;
}

export class Tracer {
  private readonly points: Tracepoint[] = [];
  private readonly byName = new Map<string, Tracepoint>();
  private readonly patterns: string[] = [];
  private ringStore: TraceRing | undefined;
  /** Id of the running thread, stamped on each record; the Scheduler installs its own. */
  threadId: () => number = () => 0;

  constructor(
    readonly clock: Clock,
    options: TracerOptions = {},
  ) {
    this.ringStore = options.ring;
    this.ringStore?.writeCatalog(this.points);
  }

  /** Creates (or returns the existing) tracepoint `name`. Ids are assigned in creation order. */
  tracepoint<const A extends readonly TraceArgType[]>(name: string, format: string, args: A): Tracepoint<A> {
    const existing = this.byName.get(name);
    if (existing !== undefined) return existing as unknown as Tracepoint<A>;
    if (args.length > MAX_TRACE_ARGS)
      throw new KernelError(Errno.EINVAL, `tracepoint ${name}: at most ${MAX_TRACE_ARGS} arguments`);
    const tp = new Tracepoint<A>(this, this.points.length + 1, name, format, args);
    this.points.push(tp);
    this.byName.set(name, tp);
    tp.recording = this.patterns.some((p) => matchesTracePattern(name, p));
    this.ringStore?.writeCatalog(this.points);
    return tp;
  }

  /** Every tracepoint created so far. */
  get tracepoints(): readonly TracepointInfo[] {
    return this.points;
  }

  /**
   * Enables every tracepoint whose name matches `pattern` (OSv's --trace=<pattern>: `*` and `?`
   * globs, comma-separated), now and when created later. Returns how many existing ones matched.
   */
  enable(pattern: string): number {
    this.patterns.push(pattern);
    let n = 0;
    for (const tp of this.points) {
      if (matchesTracePattern(tp.name, pattern)) {
        tp.recording = true;
        n++;
      }
    }
    if (n > 0) this.ring();
    return n;
  }

  /** Disables every tracepoint matching `pattern` and forgets earlier enables. */
  disable(pattern = '*'): void {
    this.patterns.length = 0;
    for (const tp of this.points) if (matchesTracePattern(tp.name, pattern)) tp.recording = false;
  }

  /** The tracepoint named `name`, if one was created. */
  find(name: string): Tracepoint | undefined {
    return this.byName.get(name);
  }

  /** Every tracepoint, with its recording and counting state (the trace routes manage these). */
  get all(): readonly Tracepoint[] {
    return this.points;
  }

  /** The ring records go to. */
  ring(): TraceRing {
    if (this.ringStore === undefined) {
      this.ringStore = new TraceRing(new Uint8Array(1 << 20));
      this.ringStore.writeCatalog(this.points);
    }
    return this.ringStore;
  }

  /** Moves tracing to `ring` (e.g. a region of guest RAM, once the page allocator is up). */
  attach(ring: TraceRing): void {
    this.ringStore = ring;
    ring.writeCatalog(this.points);
  }

  /** Called by Tracepoint.emit. */
  record(tp: TracepointInfo, values: readonly unknown[]): void {
    this.ring().write(tp.id, this.threadId(), this.clock.monotonicNs(), tp.args, values);
  }

  /** Reads back the records in the ring (the same decoder host tools use). */
  read(fromCursor?: number): TraceReadResult {
    return readTraceRing(this.ring().region, fromCursor === undefined ? {} : { fromCursor });
  }

  records(): TraceRecord[] {
    return this.read().records;
  }
}

// @osv-ts/core-sched: threads, scheduler, timers, wait queues and locks, clocks, page and
// small-object allocators, tracepoints, boot chart. Simulation support: ./testing.
export { Scheduler, DeadlockError } from './scheduler.js';
export type { SchedulerOptions, ThreadInfo } from './scheduler.js';
export { RunQueue, DEFAULT_TAU_NS } from './run-queue.js';
export { HostCpu, InterruptWordCpu, VirtualCpu } from './cpu.js';
export { HaltPollWindow } from './halt-poll.js';
export type { HaltPollOptions } from './halt-poll.js';
export type { Cpu } from './cpu.js';
export { KernelThread } from './kernel-thread.js';
export type { Blocking, ThreadBody, ThreadOptions, ThreadState, Wait, WaitRequest } from './kernel-thread.js';
export { ThreadLocal } from './thread-local.js';
export { WaitQueue } from './wait-queue.js';
export type { Waiter } from './wait-queue.js';
export { Mutex, APP_THREAD } from './mutex.js';
export { CondVar } from './condvar.js';
export { Semaphore } from './semaphore.js';
export { Event } from './event.js';
export { Timer, TimerQueue } from './timer-queue.js';
export { TimerWheel } from './timer-wheel.js';
export { TimerHeap } from './timer-heap.js';
export type { TimerCallback } from './timer.js';
export { HostClock, VirtualClock } from './clocks.js';
export { ClockId, PosixClocks } from './posix-clocks.js';
export type { ClockIdValue } from './posix-clocks.js';
export { PageAllocator, PAGE_SIZE } from './page-allocator.js';
export type { PageAllocatorStats } from './page-allocator.js';
export { PageReservation } from './page-reservation.js';
export { Heap, HEAP_MAX_CLASS, HEAP_MIN_CLASS } from './heap.js';
export type { HeapStats } from './heap.js';
export { memInfo, formatMemInfo } from './meminfo.js';
export type { MemInfo, MemInfoExtras } from './meminfo.js';
export { Tracer, Tracepoint } from './tracer.js';
export type { TracerOptions } from './tracer.js';
export {
  TraceRing,
  readTraceRing,
  traceRingMinimumBytes,
  TRACE_RING_HEADER_BYTES,
  TRACE_RING_MAGIC,
  TRACE_RING_VERSION,
  MAX_TRACE_ARGS,
} from './trace-ring.js';
export type {
  TraceArgType,
  TraceArgValue,
  TraceArgValues,
  TracepointInfo,
  TraceReadResult,
  TraceRecord,
  TraceRingPlacement,
} from './trace-ring.js';
export { tracePatternToRegExp, matchesTracePattern } from './trace-pattern.js';
export { toChromeTrace } from './chrome-trace.js';
export { formatTrace, formatTraceRecord } from './trace-format.js';
export { tracePrintf } from './trace-printf.js';
export type { TraceArg } from './trace-printf.js';
export { decodeOsvTraceDump, encodeOsvTraceDump, isOsvTraceDump } from './osv-trace-dump.js';
export type { OsvTraceDump, OsvTraceDumpOptions } from './osv-trace-dump.js';
export type { ChromeTrace, ChromeTraceEvent, ChromeTraceOptions } from './chrome-trace.js';
export { Bootchart } from './bootchart.js';
export type { BootStage } from './bootchart.js';

// @osv-ts/core-sched: threads, scheduler, timers, wait queues, clocks, page allocator, boot chart.
export { Scheduler, DeadlockError } from './scheduler.js';
export type { Cpu } from './cpu.js';
export { KernelThread } from './kernel-thread.js';
export type { ThreadBody, ThreadOptions, ThreadState, Wait, WaitRequest } from './kernel-thread.js';
export { WaitQueue } from './wait-queue.js';
export type { Waiter } from './wait-queue.js';
export { Timer, TimerQueue } from './timer-queue.js';
export type { TimerCallback } from './timer-queue.js';
export { HostClock, VirtualClock } from './clocks.js';
export { PageAllocator, PAGE_SIZE } from './page-allocator.js';
export { Bootchart } from './bootchart.js';
export type { BootStage } from './bootchart.js';

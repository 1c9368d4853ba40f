// How the VFS waits. The API is synchronous (blocking style, like OSv's VFS): when an
// operation must wait (a vnode lock held by a thread that is itself blocked on disk I/O, an
// empty pipe, a console with no input) it hands a condition to the Blocker. core-sched's
// `Scheduler.block(cond, deadlineNs)` has exactly this shape, so the kernel passes its scheduler.
import { Errno, KernelError } from '@osv-ts/kernel-api';

export interface Blocker {
  /**
   * Runs other work until `cond()` holds (returns true) or the monotonic `deadlineNs` passes
   * (returns false).
   */
  block(cond: () => boolean, deadlineNs?: number): boolean;
}

/**
 * The Blocker for a VFS with no scheduler (tests, tools, single-threaded use): nothing else can
 * run, so a condition that does not already hold never will. Waiting would deadlock; say so.
 */
export const noBlocker: Blocker = {
  block(cond: () => boolean): boolean {
    if (cond()) return true;
    throw new KernelError(Errno.EDEADLK, 'operation would block and no scheduler can run another thread');
  },
};

// A per-vnode lock. OSv serialises all of its VFS behind few big locks and vnode locks that are
// held across disk I/O (OSv issue 450: one slow read stalls every other file operation). Here
// every vnode has its own lock, taken only around that vnode's own operation: a thread blocked
// on one file's block-device read holds only that file's lock, and every other file (and every
// directory) stays usable by other threads. The kernel is cooperative today, so contention only
// happens while a holder is blocked inside a Blocker; the waiter then blocks too.
import type { Blocker } from './blocker.js';

export class VnodeLock {
  private depth = 0;
  private owner: unknown = undefined;

  /** True while some thread holds the lock. */
  get held(): boolean {
    return this.depth > 0;
  }

  /**
   * Takes the lock for `owner` (any token naming the thread, e.g. core-sched's current thread;
   * the same owner may take it again, recursively), waiting through `blocker` while another
   * owner holds it.
   */
  acquire(blocker: Blocker, owner: unknown): void {
    if (this.depth > 0 && this.owner !== owner) blocker.block(() => this.depth === 0);
    this.owner = owner;
    this.depth++;
  }

  release(): void {
    if (this.depth === 0) throw new Error('VnodeLock.release without acquire');
    if (--this.depth === 0) this.owner = undefined;
  }
}

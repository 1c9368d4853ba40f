import { describe, expect, it } from 'vitest';
import { StepClock, enc } from '../test/helpers.js';
import type { Blocker } from './blocker.js';
import type { IoContext } from './file-system.js';
import { RamFs } from './fs/ramfs/ramfs.js';
import { O_CREAT, O_RDONLY, O_RDWR } from './open-flags.js';
import { Vfs } from './vfs.js';
import type { Vnode } from './vnode.js';

// A scheduler stand-in with two "threads": while thread A blocks, the blocker runs thread B's
// pending step (as core-sched runs other threads while the app thread waits).
class TwoThreads implements Blocker {
  current = 'A';
  pendingB: (() => void) | undefined;
  waitsByB = 0;
  block(cond: () => boolean): boolean {
    if (this.current === 'B') {
      this.waitsByB++;
      if (!cond()) throw new Error('B would wait for A, which cannot run in this test');
      return true;
    }
    const step = this.pendingB;
    this.pendingB = undefined;
    if (step) {
      this.current = 'B';
      try {
        step();
      } finally {
        this.current = 'A';
      }
    }
    return cond();
  }
}

/** A ramfs whose reads of files named "slow" block once on a "device" (the blocker). */
class SlowFs extends RamFs {
  ready = false;
  override read(vnode: Vnode, offset: number, into: Uint8Array, io: IoContext): number {
    if (vnode.size === 4 && !this.ready) {
      io.blocker.block(() => true);
      this.ready = true;
    }
    return super.read(vnode, offset, into, io);
  }
}

describe('per-vnode locking', () => {
  it("a thread blocked in one file's I/O holds only that file's lock", () => {
    const sched = new TwoThreads();
    const fs = new SlowFs();
    const vfs = new Vfs({ clock: new StepClock(), blocker: sched, currentThread: () => sched.current });
    vfs.mountRoot(fs);
    const slow = vfs.open('/slow', O_RDWR | O_CREAT);
    slow.write(enc('slow'));
    const other = vfs.open('/other', O_RDWR | O_CREAT);
    other.write(enc('other data'));
    let bResult = '';
    let slowLockedDuringB = false;
    sched.pendingB = () => {
      slowLockedDuringB = slow.vnode.lock.held;
      // B works on another file and on the directory while A is inside slow's read.
      const f = vfs.open('/other', O_RDONLY);
      const b = new Uint8Array(16);
      bResult = new TextDecoder().decode(b.subarray(0, f.read(b)));
      vfs.mkdir('/made-by-b');
    };
    const buf = new Uint8Array(4);
    expect(slow.pread(buf, 0)).toBe(4);
    expect(slowLockedDuringB).toBe(true);
    expect(bResult).toBe('other data');
    expect(sched.waitsByB).toBe(0);
    expect(vfs.stat('/made-by-b').nlink).toBe(2);
    expect(slow.vnode.lock.held).toBe(false);
    other.close();
  });

  it('a second thread touching the busy file waits for its lock', () => {
    const sched = new TwoThreads();
    const fs = new SlowFs();
    const vfs = new Vfs({ clock: new StepClock(), blocker: sched, currentThread: () => sched.current });
    vfs.mountRoot(fs);
    const slow = vfs.open('/slow', O_RDWR | O_CREAT);
    slow.write(enc('slow'));
    let bError: unknown;
    sched.pendingB = () => {
      try {
        vfs.open('/slow', O_RDONLY).read(new Uint8Array(4));
      } catch (e) {
        bError = e;
      }
    };
    slow.pread(new Uint8Array(4), 0);
    expect(sched.waitsByB).toBe(1);
    expect(String(bError)).toMatch(/B would wait for A/);
  });
});

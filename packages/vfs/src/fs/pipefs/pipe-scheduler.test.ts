import { Scheduler, VirtualClock } from '@osv-ts/core-sched';
import { describe, expect, it } from 'vitest';
import { dec, enc } from '../../../test/helpers.js';
import { O_NONBLOCK } from '../../open-flags.js';
import { RamFs } from '../ramfs/ramfs.js';
import { Vfs } from '../../vfs.js';

// A simulated CPU: idling jumps the virtual clock to the next timer.
function simulation() {
  const clock = new VirtualClock();
  const sched = new Scheduler(clock, {
    pollInterrupts: () => false,
    idle: (deadline) => {
      if (deadline === undefined) return false;
      clock.advanceTo(deadline);
      return true;
    },
  });
  const vfs = new Vfs({ clock, blocker: sched, currentThread: () => sched.currentThread });
  vfs.mountRoot(new RamFs());
  return { clock, sched, vfs };
}

describe('pipes under core-sched', () => {
  it('a blocking read on the app thread waits for a kernel thread writing later', () => {
    const { sched, vfs, clock } = simulation();
    const [r, w] = vfs.pipe();
    sched.spawn(function* () {
      yield* sched.sleep(5_000_000);
      w.write(enc('late '));
      yield* sched.sleep(5_000_000);
      w.write(enc('data'));
      w.close();
    });
    const b = new Uint8Array(64);
    let got = '';
    for (let n; (n = r.read(b.subarray(got.length))) > 0;) got = dec(b.subarray(0, got.length + n));
    expect(got).toBe('late data');
    expect(clock.monotonicNs()).toBe(10_000_000);
  });

  it('a kernel thread parked on the readiness queue wakes when data arrives', () => {
    const { sched, vfs } = simulation();
    const [r, w] = vfs.pipe();
    r.setStatusFlags(O_NONBLOCK);
    const seen: string[] = [];
    const reader = sched.spawn(function* () {
      const b = new Uint8Array(16);
      while (seen.length < 2) {
        while ((r.poll(1) & 1) === 0) yield r.readiness!;
        seen.push(dec(b.subarray(0, r.read(b))));
      }
    });
    sched.runPending();
    expect(reader.state).toBe('waiting');
    w.write(enc('one'));
    sched.runPending();
    w.write(enc('two'));
    sched.runPending();
    expect(seen).toEqual(['one', 'two']);
    expect(reader.state).toBe('dead');
  });

  it('a writer blocked on a full pipe resumes as the reader drains it', () => {
    const { sched, clock } = simulation();
    const small = new Vfs({ clock, blocker: sched, pipeCapacityBytes: 8192 });
    small.mountRoot(new RamFs());
    const [r, w] = small.pipe();
    let drained = 0;
    sched.spawn(function* () {
      const b = new Uint8Array(1000);
      while (drained < 20_000) {
        while ((r.poll(1) & 1) === 0) yield r.readiness!;
        drained += r.read(b);
      }
    });
    expect(w.write(new Uint8Array(20_000))).toBe(20_000);
    sched.runPending();
    expect(drained).toBe(20_000);
  });
});

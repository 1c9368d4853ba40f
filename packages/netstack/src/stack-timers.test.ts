// NetStack.onTimerArmed hears every timer the stack's queue arms, with its deadline, and
// stops when the listener is removed.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@osv-ts/core-sched';
import { NetStack } from './net-stack.js';
import { SeededRandom } from './sim/seeded-random.js';

describe('NetStack.onTimerArmed', () => {
  it('reports each armed timer deadline, re-arms included, until the listener is removed', () => {
    const stack = new NetStack({ clock: new VirtualClock(), entropy: new SeededRandom(1) });
    const armed: number[] = [];
    stack.onTimerArmed = (d) => armed.push(d);
    const t = stack.timers.add(7e6, () => undefined);
    t.deadlineNs = 3e6;
    stack.timers.arm(t);
    expect(armed).toEqual([7e6, 3e6]);
    expect(stack.nextDeadlineNs()).toBe(3e6);
    stack.onTimerArmed = undefined;
    stack.timers.add(1e6, () => undefined);
    expect(armed).toEqual([7e6, 3e6]);
  });
});

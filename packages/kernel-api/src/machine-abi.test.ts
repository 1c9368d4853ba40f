// raiseGuestInterrupt: the irqfd of the machine ABI. It marks the line and bumps guestWake
// always, and calls Atomics.notify only while the vCPU says it sleeps (guestSleeping); a vCPU
// that idles by the protocol (flag, then Atomics.wait on the sequence it read) is never missed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BootInfo, raiseGuestInterrupt } from './machine-abi.js';

const words = () => new Int32Array(new SharedArrayBuffer(4096));

describe('raiseGuestInterrupt', () => {
  afterEach(() => vi.restoreAllMocks());

  it('marks the line pending and bumps guestWake without a notify while the vCPU polls', () => {
    const w = words();
    const notify = vi.spyOn(Atomics, 'notify');
    raiseGuestInterrupt(w, 5);
    raiseGuestInterrupt(w, 7);
    expect(w[BootInfo.irqPending >>> 2]).toBe((1 << 5) | (1 << 7));
    expect(w[BootInfo.guestWake >>> 2]).toBe(2);
    expect(notify).not.toHaveBeenCalled();
  });

  it('wakes a sleeping vCPU on guestWake', () => {
    const w = words();
    w[BootInfo.guestSleeping >>> 2] = 1;
    const notify = vi.spyOn(Atomics, 'notify');
    raiseGuestInterrupt(w, 31);
    expect(w[BootInfo.irqPending >>> 2]).toBe(1 << 31);
    expect(notify).toHaveBeenCalledTimes(1);
    expect(notify.mock.calls[0]![1]).toBe(BootInfo.guestWake >>> 2);
  });

  it('a vCPU that set the flag before it read the sequence cannot sleep through a raise', () => {
    // The vCPU's side, step by step: the flag, then Atomics.wait against the sequence it read.
    const w = words();
    const seq = Atomics.load(w, BootInfo.guestWake >>> 2);
    Atomics.store(w, BootInfo.guestSleeping >>> 2, 1);
    raiseGuestInterrupt(w, 5); // lands between the vCPU's flag and its wait
    expect(Atomics.wait(w, BootInfo.guestWake >>> 2, seq, 0)).toBe('not-equal');
  });
});

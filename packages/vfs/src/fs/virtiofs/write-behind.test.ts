// WriteBehind against a scripted FuseSession: the depth bound, overlapping WRITEs, errors kept
// for their file, and nested settling (a kernel thread that settles while the app thread is
// blocked in a reply), where each WRITE must be received by everyone who waits and released
// once, by the frame that claimed it.
import { describe, expect, it } from 'vitest';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { FuseReplyBody, FuseRequestBody, FuseSession, FuseTicket } from '@osv-ts/drivers-virtio';
import { WriteBehind, takeWriteError, type WriteOwner } from './write-behind.js';

interface Sent {
  readonly ticket: FuseTicket;
  readonly body: FuseRequestBody;
  released: number;
  received: number;
}

/** Answers every WRITE in full, or with `failAt`'s errno; `onReceive` runs inside a receive. */
class ScriptedSession implements FuseSession {
  readonly maxIoBytes = 1 << 20;
  readonly maxReadaheadBytes = 0;
  readonly maxInFlight = 5;
  readonly sent: Sent[] = [];
  onReceive: ((ticket: FuseTicket) => void) | undefined;
  failAt: { offset: bigint; errno: number } | undefined;

  call(): FuseReplyBody {
    throw new Error('not used');
  }

  send(_nodeid: bigint, body: FuseRequestBody): FuseTicket | undefined {
    if (this.sent.filter((s) => s.released === 0).length >= this.maxInFlight) return undefined;
    const ticket = this.sent.length;
    this.sent.push({ ticket, body, released: 0, received: 0 });
    return ticket;
  }

  receive(ticket: FuseTicket): FuseReplyBody {
    const s = this.sent[ticket]!;
    if (s.released > 0) throw new Error(`ticket ${ticket} received after its release`);
    const hook = this.onReceive;
    this.onReceive = undefined;
    hook?.(ticket);
    s.received++;
    if (s.body.op !== 'write') throw new Error('only WRITEs here');
    if (this.failAt && s.body.offset === this.failAt.offset) throw new KernelError(this.failAt.errno, 'WRITE');
    return { kind: 'write', size: s.body.data.length };
  }

  release(ticket: FuseTicket): void {
    this.sent[ticket]!.released++;
  }

  forget(): void {}
}

const owner = (): WriteOwner => ({ writeError: undefined });
const data = (n: number) => new Uint8Array(n);

describe('WriteBehind', () => {
  it('keeps at most depth WRITEs out, taking the oldest reply to make room', () => {
    const s = new ScriptedSession();
    const counters = { behindWrites: 0, behindErrors: 0 };
    const wb = new WriteBehind(s, 3, counters);
    const o = owner();
    for (let i = 0; i < 7; i++) expect(wb.send(1n, 9n, i * 100, data(100), o)).toBe(true);
    expect(wb.outstanding).toBe(3);
    expect(s.sent.filter((x) => x.released === 0)).toHaveLength(3);
    wb.settle();
    expect(wb.outstanding).toBe(0);
    expect(s.sent.map((x) => [x.received, x.released])).toEqual(Array(7).fill([1, 1]));
    expect(counters).toEqual({ behindWrites: 7, behindErrors: 0 });
  });

  it('settles before a WRITE that overlaps one out, and not for one that only touches it', () => {
    const s = new ScriptedSession();
    const wb = new WriteBehind(s, 4, { behindWrites: 0, behindErrors: 0 });
    const o = owner();
    wb.send(1n, 9n, 0, data(100), o);
    wb.send(1n, 9n, 100, data(100), o); // adjacent: both out
    expect(wb.outstanding).toBe(2);
    wb.send(2n, 9n, 150, data(10), o); // another file: no overlap
    expect(wb.outstanding).toBe(3);
    wb.send(1n, 9n, 150, data(10), o); // overlaps the second: everything is answered first
    expect(s.sent.slice(0, 3).every((x) => x.released === 1)).toBe(true);
    expect(wb.outstanding).toBe(1);
  });

  it('keeps a failed WRITE’s error for its file only, to be taken once', () => {
    const s = new ScriptedSession();
    s.failAt = { offset: 100n, errno: Errno.ENOSPC };
    const wb = new WriteBehind(s, 4, { behindWrites: 0, behindErrors: 0 });
    const a = owner();
    const b = owner();
    wb.send(1n, 9n, 0, data(100), a);
    wb.send(1n, 9n, 100, data(100), a);
    wb.send(2n, 8n, 0, data(100), b);
    wb.settle();
    expect(() => takeWriteError(a)).toThrow(expect.objectContaining({ errno: Errno.ENOSPC }));
    expect(() => takeWriteError(a)).not.toThrow();
    expect(() => takeWriteError(b)).not.toThrow();
  });

  it('lets a nested settle (inside a reply wait) take the rest and wait for the outer frame’s WRITE', () => {
    const s = new ScriptedSession();
    const wb = new WriteBehind(s, 4, { behindWrites: 0, behindErrors: 0 });
    const o = owner();
    wb.send(1n, 9n, 0, data(10), o); // ticket 0: the outer frame will claim it
    wb.send(1n, 9n, 10, data(10), o); // ticket 1
    let nestedSawAllAnswered = false;
    s.onReceive = (ticket) => {
      expect(ticket).toBe(0);
      // A kernel thread runs while the app thread waits for ticket 0: it writes and settles.
      expect(wb.send(1n, 9n, 20, data(10), o)).toBe(true); // ticket 2
      wb.settle();
      nestedSawAllAnswered = s.sent.every((x) => x.received >= 1);
    };
    wb.settle();
    expect(nestedSawAllAnswered).toBe(true);
    expect(wb.outstanding).toBe(0);
    // Ticket 0 was waited for by both frames but released once, by the outer one.
    expect(s.sent.map((x) => x.released)).toEqual([1, 1, 1]);
    expect(s.sent[0]!.received).toBe(2);
  });

  it('sends nothing behind without a depth', () => {
    const s = new ScriptedSession();
    const wb = new WriteBehind(s, 0, { behindWrites: 0, behindErrors: 0 });
    expect(wb.send(1n, 9n, 0, data(10), owner())).toBe(false);
    expect(s.sent).toHaveLength(0);
  });
});

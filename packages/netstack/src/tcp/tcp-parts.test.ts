// Property tests of the TCP building blocks against simple models.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteQueue } from './byte-queue.js';
import { CubicWindow, NewRenoWindow, initialWindow } from './congestion.js';
import { halfSipHash } from './isn.js';
import { RttEstimator } from './rtt-estimator.js';
import { SackScoreboard } from './sack-scoreboard.js';
import { Sequence } from './sequence.js';

describe('Sequence', () => {
  it('orders numbers within 2^31 of each other across wrap-around', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
        (a, d) => {
          const b = Sequence.add(a, d);
          expect(Sequence.diff(b, a)).toBe(d);
          expect(Sequence.lt(a, b)).toBe(d > 0);
          expect(Sequence.gt(a, b)).toBe(d < 0);
          expect(Sequence.le(a, b)).toBe(d >= 0);
          expect(b).toBeGreaterThanOrEqual(0);
          expect(b).toBeLessThanOrEqual(0xffffffff);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('ByteQueue', () => {
  it('behaves like an array of bytes under push/read/consume', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ push: fc.uint8Array({ maxLength: 5000 }) }),
            fc.record({ read: fc.nat(6000) }),
            fc.record({ consume: fc.nat(6000) }),
          ),
        ),
        (ops) => {
          const q = new ByteQueue(16);
          let model: number[] = [];
          for (const op of ops) {
            if ('push' in op) {
              q.push(op.push);
              model.push(...op.push);
            } else if ('read' in op) {
              const out = new Uint8Array(op.read);
              const n = q.read(out);
              expect([...out.subarray(0, n)]).toEqual(model.slice(0, n));
              model = model.slice(n);
            } else {
              q.consume(op.consume);
              model = model.slice(op.consume);
            }
            expect(q.length).toBe(model.length);
          }
          if (model.length) expect([...q.view(0, model.length)]).toEqual(model);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SackScoreboard', () => {
  it('tracks exactly the reported octets above SND.UNA (set model), across wrap-around', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(fc.tuple(fc.nat(400), fc.nat(60)), { maxLength: 12 }),
        fc.nat(450),
        (base, blocks, ackAdvance) => {
          const sb = new SackScoreboard();
          const max = Sequence.add(base, 500);
          const model = new Set<number>();
          for (const [off, len] of blocks) {
            if (len === 0 || off === 0) continue;
            sb.update([[Sequence.add(base, off), Sequence.add(base, off + len)]], base, max);
            for (let k = off; k < off + len && k < 500; k++) model.add(k);
            if (off + len > 500) for (let k = off; k < off + len; k++) model.delete(k); // beyond SND.MAX: ignored
          }
          // Recompute the model honestly: blocks reaching past SND.MAX were dropped whole.
          const honest = new Set<number>();
          for (const [off, len] of blocks)
            if (len > 0 && off > 0 && off + len <= 500) for (let k = off; k < off + len; k++) honest.add(k);
          expect(sb.sackedBytes).toBe(honest.size);
          for (let k = 0; k < 500; k += 7) expect(sb.isSacked(Sequence.add(base, k))).toBe(honest.has(k));
          const una = Sequence.add(base, ackAdvance);
          sb.advance(una);
          expect(sb.sackedBytes).toBe([...honest].filter((k) => k >= ackAdvance).length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('declares a hole lost once three segments are SACKed above it (RFC 6675 IsLost)', () => {
    const sb = new SackScoreboard();
    const mss = 100;
    sb.update([[1100, 1200]], 1000, 2000);
    expect(sb.lostBoundary(1000, mss)).toBe(1000);
    sb.update([[1200, 1300]], 1000, 2000);
    expect(sb.nextHole(1000, 1000, mss, true)).toBeUndefined();
    sb.update([[1300, 1400]], 1000, 2000);
    expect(sb.lostBoundary(1000, mss)).toBe(1100);
    expect(sb.nextHole(1000, 1000, mss, true)).toEqual([1000, 100]);
    // pipe: hole 1000–1100 lost (0), 1400–2000 unSACKed and not lost (600).
    expect(sb.pipe(1000, 2000, 1000, mss)).toBe(600);
    // After retransmitting the hole it counts as in flight again.
    expect(sb.pipe(1000, 2000, 1100, mss)).toBe(700);
  });
});

describe('RttEstimator (RFC 6298)', () => {
  it('initialises from the first sample, smooths later ones and clamps the RTO', () => {
    const r = new RttEstimator({ initialRtoNs: 1e9, minRtoNs: 200e6, maxRtoNs: 60e9, clockGranularityNs: 1e6 });
    expect(r.rtoNs).toBe(1e9);
    r.sample(100e6);
    expect([r.srttNs, r.rttvarNs, r.rtoNs]).toEqual([100e6, 50e6, 300e6]);
    r.sample(200e6);
    expect(r.srttNs).toBeCloseTo(112.5e6);
    expect(r.rttvarNs).toBeCloseTo(62.5e6);
    r.backOff();
    r.backOff();
    expect(r.rtoNs).toBeCloseTo(4 * (112.5e6 + 250e6));
    for (let i = 0; i < 20; i++) r.backOff();
    expect(r.rtoNs).toBe(60e9);
    r.sample(1e6);
    expect(r.rtoNs).toBeGreaterThanOrEqual(200e6);
  });
});

describe('congestion windows', () => {
  it('NewReno: slow start doubles per window, avoidance adds one MSS per window, loss halves', () => {
    const mss = 1000;
    const c = new NewRenoWindow(mss);
    expect(c.cwnd).toBe(initialWindow(mss));
    const w0 = c.cwnd;
    for (let i = 0; i < w0 / mss; i++) c.onAck(mss);
    expect(c.cwnd).toBe(2 * w0);
    c.onLoss(20_000);
    expect([c.ssthresh, c.cwnd]).toEqual([10_000, 10_000]);
    for (let i = 0; i < 10; i++) c.onAck(mss);
    expect(c.cwnd).toBe(11_000);
    c.onTimeout(8000);
    expect([c.ssthresh, c.cwnd]).toEqual([4000, 1000]);
  });

  it('CUBIC: reduces by beta = 0.7 and regrows towards W_max', () => {
    const mss = 1000;
    const c = new CubicWindow(mss);
    c.cwnd = 100_000;
    c.ssthresh = 50_000;
    c.onLoss(100_000);
    expect(c.cwnd).toBe(70_000);
    let t = 0;
    for (let i = 0; i < 2000; i++) {
      t += 10e6;
      c.onAck(mss, t, 50e6);
    }
    expect(c.cwnd).toBeGreaterThan(100_000); // past W_max after the plateau
  });
});

describe('HalfSipHash', () => {
  it('matches the reference test vector (key 00..07, empty message)', () => {
    // Reference halfsiphash-2-4 32-bit output for key 0x03020100,0x07060504 and empty input: 0x5b9f35a9.
    expect(halfSipHash(Uint32Array.of(0x03020100, 0x07060504), new Uint8Array(0)).toString(16)).toBe('5b9f35a9');
  });
});

// Timers at 10^5: arm 10^5 timers at random deadlines, cancel half, expire the rest in order.
// The binary heap (TimerHeap) and the hierarchical wheel (TimerWheel, what TimerQueue is) against a sorted array with
// binary-search insertion, the simplest structure that fires in order.
import { TimerHeap, TimerWheel } from '../dist/index.js';
import { compare, measure, row } from './measure.mjs';

const N = 100_000;
const deadlines = new Float64Array(N);
let s = 12345;
for (let i = 0; i < N; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  deadlines[i] = (s % 1_000_000) * 1000; // within one second, µs apart
}
const noop = () => {};

function structure(make) {
  return () => {
    const q = make();
    const ts = new Array(N);
    for (let i = 0; i < N; i++) ts[i] = q.add(deadlines[i], noop);
    for (let i = 0; i < N; i += 2) q.cancel(ts[i]);
    q.expire(1e12);
    if (q.size !== 0) throw new Error('timers left');
  };
}

class SortedArrayTimers {
  a = [];
  seq = 0;
  get size() {
    return this.a.length;
  }
  add(deadlineNs, cb) {
    const t = { deadlineNs, cb, seq: this.seq++ };
    let lo = 0;
    let hi = this.a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.a[mid].deadlineNs <= deadlineNs) lo = mid + 1;
      else hi = mid;
    }
    this.a.splice(lo, 0, t);
    return t;
  }
  cancel(t) {
    let lo = 0;
    let hi = this.a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.a[mid];
      if (m.deadlineNs < t.deadlineNs || (m.deadlineNs === t.deadlineNs && m.seq < t.seq)) lo = mid + 1;
      else hi = mid;
    }
    if (this.a[lo] === t) this.a.splice(lo, 1);
  }
  expire(now) {
    let i = 0;
    while (i < this.a.length && this.a[i].deadlineNs <= now) this.a[i++].cb();
    this.a.splice(0, i);
  }
}

// The common kernel case: timeouts (TCP retransmit, poll deadlines) armed and cancelled before they fire.
function armCancel(make) {
  return () => {
    const q = make();
    const ts = new Array(N);
    for (let i = 0; i < N; i++) ts[i] = q.add(deadlines[i], noop);
    for (let i = 0; i < N; i++) q.cancel(ts[i]);
    if (q.size !== 0) throw new Error('timers left');
  };
}

// Worst case for a wheel slot: every timer at the same deadline.
function sameDeadline(make) {
  return () => {
    const q = make();
    for (let i = 0; i < N; i++) q.add(5000, noop);
    q.expire(1e12);
  };
}

export function run() {
  const ops = 2 * N; // N arms + N/2 cancels + N/2 expiries
  const heapFactory = () => new TimerHeap();
  const wheelFactory = () => new TimerWheel();
  const sorted = measure(
    structure(() => new SortedArrayTimers()),
    ops,
    3,
  );
  const [heap, wheel] = compare(structure(heapFactory), structure(wheelFactory), ops);
  const [heapAc, wheelAc] = compare(armCancel(heapFactory), armCancel(wheelFactory), 2 * N);
  const [heapSame, wheelSame] = compare(sameDeadline(heapFactory), sameDeadline(wheelFactory), 2 * N);
  return [
    row('timers 10^5 mixed: heap', heap, 'sorted array', sorted),
    row('timers 10^5 mixed: wheel', wheel, 'sorted array', sorted),
    row('timers 10^5 mixed: wheel', wheel, 'heap', heap),
    row('timers 10^5 arm+cancel: wheel', wheelAc, 'heap', heapAc),
    row('timers 10^5 same deadline: wheel', wheelSame, 'heap', heapSame),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) run();

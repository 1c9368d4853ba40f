// Tracepoint cost. Disabled: a loop with a guarded and an unguarded tracepoint against the
// same loop without one. Enabled: a record into the trace ring in a SharedArrayBuffer against
// the naive alternative, an object pushed into a JS array ring.
import { TraceRing, Tracer, VirtualClock } from '../dist/index.js';
import { compare, row } from './measure.mjs';

const N = 1_000_000;
const clock = new VirtualClock();
const tracer = new Tracer(clock, { ring: new TraceRing(new Uint8Array(new SharedArrayBuffer(1 << 20))) });
const off = tracer.tracepoint('bench_off', 'x=%u', ['u32']);
const on = tracer.tracepoint('bench_on', 'x=%u y=%u', ['u32', 'u32']);
tracer.enable('bench_on');
export let sink = 0;

function bare() {
  let acc = 0;
  for (let i = 0; i < N; i++) acc = (acc + i * 7) | 0;
  sink = acc;
}
function guarded() {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    acc = (acc + i * 7) | 0;
    if (off.enabled) off.emit(i);
  }
  sink = acc;
}
function unguarded() {
  let acc = 0;
  for (let i = 0; i < N; i++) {
    acc = (acc + i * 7) | 0;
    off.emit(i);
  }
  sink = acc;
}
const M = N / 10;
function enabled() {
  let acc = 0;
  for (let i = 0; i < M; i++) {
    acc = (acc + i * 7) | 0;
    on.emit(i, acc);
  }
  sink = acc;
}
const objects = new Array(65536);
function objectRing() {
  let acc = 0;
  for (let i = 0; i < M; i++) {
    acc = (acc + i * 7) | 0;
    objects[i & 65535] = { id: 2, thread: 0, timeNs: clock.monotonicNs(), args: [i, acc] };
  }
  sink = acc;
}

export function run() {
  const [g, b1] = compare(guarded, bare, N);
  const [u, b2] = compare(unguarded, bare, N);
  const [e, o] = compare(enabled, objectRing, M);
  return [
    row('tracepoint disabled, guarded', g, 'same loop, no tracepoint', b1),
    row('tracepoint disabled, emit()', u, 'same loop, no tracepoint', b2),
    row('tracepoint enabled (SAB ring)', e, 'object into a JS array ring', o),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) run();

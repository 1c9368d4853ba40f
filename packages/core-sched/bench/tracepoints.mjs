// Tracepoint cost: a disabled tracepoint (guarded and unguarded call) against the same loop
// with no tracepoint, and an enabled one writing to a ring in a SharedArrayBuffer.
import { TraceRing, Tracer, VirtualClock } from '../dist/index.js';
import { measure, row } from './measure.mjs';

const N = 1_000_000;
const clock = new VirtualClock();
const tracer = new Tracer(clock, { ring: new TraceRing(new Uint8Array(new SharedArrayBuffer(1 << 20))) });
const off = tracer.tracepoint('bench_off', 'x=%u', ['u32']);
const on = tracer.tracepoint('bench_on', 'x=%u y=%u', ['u32', 'u32']);
tracer.enable('bench_on');
let sink = 0;

function bare() {
  for (let i = 0; i < N; i++) sink += i;
}
function guarded() {
  for (let i = 0; i < N; i++) {
    sink += i;
    if (off.enabled) off.emit(i);
  }
}
function unguarded() {
  for (let i = 0; i < N; i++) {
    sink += i;
    off.emit(i);
  }
}
function enabled() {
  for (let i = 0; i < N / 10; i++) {
    sink += i;
    on.emit(i, sink);
  }
}

export function run() {
  const base = measure(bare, N);
  return [
    row('tracepoint disabled, guarded', measure(guarded, N), 'loop without tracepoint', base),
    row('tracepoint disabled, emit()', measure(unguarded, N), 'loop without tracepoint', base),
    row('tracepoint enabled (ring in SAB)', measure(enabled, N / 10), 'loop without tracepoint', base),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) run();

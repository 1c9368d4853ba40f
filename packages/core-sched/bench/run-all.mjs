// npm run bench: every core-sched benchmark, each next to its peer measured in the same run.
import * as contextSwitch from './context-switch.mjs';
import * as timers from './timers.mjs';
import * as allocators from './allocators.mjs';
import * as tracepoints from './tracepoints.mjs';
import * as interruptLatency from './interrupt-latency.mjs';

console.log(`@osv-ts/core-sched benchmarks (node ${process.version}, medians of repeated runs)`);
for (const b of [contextSwitch, timers, allocators, tracepoints, interruptLatency]) await b.run();

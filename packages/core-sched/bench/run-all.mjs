// npm run bench: every core-sched benchmark, each next to its peer measured in the same run.
import * as contextSwitch from './context-switch.mjs';
import * as timers from './timers.mjs';
import * as allocators from './allocators.mjs';
import * as tracepoints from './tracepoints.mjs';

console.log(`@osv-ts/core-sched benchmarks (node ${process.version}, median of 7 runs)`);
for (const b of [contextSwitch, timers, allocators, tracepoints]) await b.run();

// The kernel's timer structure. Both candidates keep exact order (deadline, then arming order)
// and pass the same property tests; at 10^5 timers (bench/timers.mjs, interleaved runs) the
// hierarchical wheel beat the binary heap on mixed arm/cancel/expire, on arm+cancel, and by
// about 4x when many timers share a deadline, so TimerQueue is the wheel. The heap stays
// exported as TimerHeap for comparison.
import { TimerWheel } from './timer-wheel.js';

export { Timer } from './timer.js';
export type { TimerCallback } from './timer.js';

export class TimerQueue extends TimerWheel {}

// @osv-ts/core-sched/testing: deterministic simulation support for tests of any package.
export { Simulation } from './simulation.js';
export type { FaultHook, SimulationOptions, SimulationResult } from './simulation.js';
export { SeededRandom } from './seeded-random.js';

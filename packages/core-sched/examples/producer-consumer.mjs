import { Mutex, CondVar, toChromeTrace } from '@osv-ts/core-sched';
import { Simulation } from '@osv-ts/core-sched/testing';

const sim = new Simulation({ seed: 42, trace: 'sched_*' });
const { sched } = sim;
const lock = new Mutex(sched, 'queue');
const nonEmpty = new CondVar(sched, 'nonEmpty');
const jobs = [];

const worker = sim.spawn('worker', function* () {
  for (let done = 0; done < 3; done++) {
    yield* lock.lock();
    while (jobs.length === 0) yield* nonEmpty.wait(lock);
    const job = jobs.shift();
    lock.unlock();
    yield* sim.compute(2_000_000); // 2 ms of CPU
    sim.log(`worker finished ${job}`);
  }
});

sim.spawn('producer', function* () {
  for (const job of ['a', 'b', 'c']) {
    yield* sched.sleep(10_000_000); // 10 ms
    yield* lock.lock();
    jobs.push(job);
    nonEmpty.signal();
    lock.unlock();
  }
});

// The app thread blocks (as a WASI call would) until the worker has ended.
sched.block(() => worker.state === 'dead');
console.log(sim.events);
// → [ '12000000 worker finished a', '22000000 worker finished b', '32000000 worker finished c' ]
console.log(sim.nowNs / 1e6, 'ms of virtual time;', sim.trace().length, 'trace records');
const chrome = toChromeTrace(sim.trace()); // load in chrome://tracing or ui.perfetto.dev
console.log(chrome.traceEvents.length, 'Chrome trace events');

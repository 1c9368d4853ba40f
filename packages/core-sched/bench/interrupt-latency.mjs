// Interrupt round trip: the host raises an interrupt (Atomics.or + notify on the vCPU's word),
// the vCPU — idle in the scheduler — takes it, wakes a kernel thread through a wait queue,
// and the thread acknowledges (Atomics.store + notify on a host word). The peer is the bare
// doorbell: a worker that does nothing but Atomics.wait and acknowledge.
import { Worker } from 'node:worker_threads';
import { row } from './measure.mjs';

const ROUNDS = 3000;
const moduleUrl = new URL('../dist/index.js', import.meta.url).href;

const schedulerWorker = `
  const { workerData } = require('node:worker_threads');
  import(workerData.moduleUrl).then(({ Scheduler, HostClock, InterruptWordCpu, WaitQueue }) => {
    const w = new Int32Array(workerData.sab);
    const clock = new HostClock();
    const irq = new WaitQueue('irq');
    let pending = 0;
    const sched = new Scheduler(clock, new InterruptWordCpu(w, 0, clock, () => { pending++; irq.wakeAll(); }));
    let acked = 0;
    sched.spawn(function* () {
      for (;;) {
        while (pending === 0) yield irq;
        pending--;
        acked++;
        Atomics.store(w, 1, acked);
        Atomics.notify(w, 1);
      }
    });
    sched.block(() => acked >= workerData.rounds);
  });
`;

const bareWorker = `
  const { workerData } = require('node:worker_threads');
  const w = new Int32Array(workerData.sab);
  for (let acked = 1; acked <= workerData.rounds; acked++) {
    while (Atomics.exchange(w, 0, 0) === 0) Atomics.wait(w, 0, 0);
    Atomics.store(w, 1, acked);
    Atomics.notify(w, 1);
  }
`;

async function roundTripNs(source) {
  const sab = new SharedArrayBuffer(8);
  const w = new Int32Array(sab);
  const worker = new Worker(source, { eval: true, workerData: { sab, rounds: ROUNDS, moduleUrl } });
  await new Promise((r) => setTimeout(r, 300)); // let it start and idle
  const samples = [];
  for (let i = 1; i <= ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    Atomics.or(w, 0, 1);
    Atomics.notify(w, 0);
    while (Atomics.load(w, 1) < i) Atomics.wait(w, 1, i - 1, 1000);
    samples.push(Number(process.hrtime.bigint() - t0));
  }
  await worker.terminate();
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

export async function run() {
  const ours = await roundTripNs(schedulerWorker);
  const peer = await roundTripNs(bareWorker);
  return [row('interrupt → kernel thread → ack', ours, 'bare Atomics doorbell', peer)];
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

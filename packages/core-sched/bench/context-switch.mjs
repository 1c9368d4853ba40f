// Context switch: two kernel threads ping-pong through wait queues, against two async
// functions ping-ponging through Promises (the JS-native way to hand control back and forth).
import { Scheduler, VirtualClock, VirtualCpu, WaitQueue } from '../dist/index.js';
import { compareAsync, row } from './measure.mjs';

const N = 100_000;

function threads() {
  const clock = new VirtualClock();
  const sched = new Scheduler(clock, new VirtualCpu(clock));
  const qa = new WaitQueue('a');
  const qb = new WaitQueue('b');
  let turn = 0;
  sched.spawn(function* () {
    for (let i = 0; i < N; i++) {
      while (turn !== 0) yield qa;
      turn = 1;
      qb.wakeOne();
    }
  });
  sched.spawn(function* () {
    for (let i = 0; i < N; i++) {
      while (turn !== 1) yield qb;
      turn = 0;
      qa.wakeOne();
    }
  });
  sched.runPending();
}

async function promises() {
  let resolveA;
  let resolveB;
  let a = new Promise((r) => (resolveA = r));
  let b = new Promise((r) => (resolveB = r));
  const pa = (async () => {
    for (let i = 0; i < N; i++) {
      await a;
      a = new Promise((r) => (resolveA = r));
      resolveB();
    }
  })();
  const pb = (async () => {
    for (let i = 0; i < N; i++) {
      resolveA();
      await b;
      b = new Promise((r) => (resolveB = r));
    }
  })();
  await Promise.all([pa, pb]);
}

export async function run() {
  // Each round trip is two switches.
  const [ours, peer] = await compareAsync(threads, promises, 2 * N);
  return [row('thread switch (wait-queue ping-pong)', ours, 'Promise ping-pong', peer)];
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

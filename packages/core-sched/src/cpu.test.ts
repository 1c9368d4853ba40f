/// <reference types="node" />
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { HostClock, VirtualClock } from './clocks.js';
import { HostCpu, VirtualCpu } from './cpu.js';
import { Scheduler } from './scheduler.js';

async function packageModuleUrl(): Promise<string> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [new URL('./index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    write: false,
    platform: 'neutral',
  });
  return `data:text/javascript;base64,${Buffer.from(out.outputFiles[0]!.text).toString('base64')}`;
}

describe('InterruptWordCpu in a vCPU worker', () => {
  it('idles in Atomics.wait while the app sleeps 2 s (about 0% CPU) and wakes a kernel thread on an interrupt', async () => {
    const sab = new SharedArrayBuffer(8);
    const words = new Int32Array(sab);
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.module).then(({ Scheduler, HostClock, InterruptWordCpu, WaitQueue }) => {
        const words = new Int32Array(workerData.sab);
        const clock = new HostClock();
        const irq = new WaitQueue('irq');
        let irqAtNs = -1;
        const cpu = new InterruptWordCpu(words, 0, clock, () => { irqAtNs = clock.monotonicNs(); irq.wakeAll(); });
        const sched = new Scheduler(clock, cpu);
        let threadWokeNs = -1;
        sched.spawn(function* () {
          yield* sched.waitUntil(irq, () => irqAtNs >= 0);
          threadWokeNs = clock.monotonicNs();
        });
        const t0 = clock.monotonicNs();
        Atomics.store(words, 1, 1);
        Atomics.notify(words, 1);
        sched.run(sched.sleep(2e9)); // the app's poll_oneoff sleep
        const slept = clock.monotonicNs() - t0;
        parentPort.postMessage({ slept, irqNs: irqAtNs - t0, threadNs: threadWokeNs - t0, idleNs: sched.idleNs, irqs: cpu.counts[0] });
      });
      `,
      { eval: true, workerData: { sab, module: await packageModuleUrl() } },
    );
    const done = new Promise<{ slept: number; irqNs: number; threadNs: number; idleNs: number; irqs: number }>(
      (resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      },
    );
    while (Atomics.load(words, 1) === 0) await new Promise((r) => setTimeout(r, 5));
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    Atomics.or(words, 0, 1); // raise interrupt line 0 (what the VMM's irqfd does)
    Atomics.notify(words, 0);
    const r = await done;
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    await worker.terminate();
    expect(r.slept).toBeGreaterThanOrEqual(2e9);
    expect(r.slept).toBeLessThan(2.5e9);
    expect(r.irqs).toBe(1);
    expect(r.irqNs).toBeGreaterThanOrEqual(0.9e9);
    expect(r.threadNs - r.irqNs).toBeLessThan(50e6);
    expect(r.idleNs / r.slept).toBeGreaterThan(0.95);
    // The whole process (this thread idle in its event loop, the vCPU in Atomics.wait) used
    // under 5% of one core over the sleep.
    expect((cpu.user + cpu.system) / 1000 / wallMs).toBeLessThan(0.05);
  }, 30_000);
});

describe('VirtualCpu and HostCpu', () => {
  it('VirtualCpu idles by jumping the virtual clock and reports a deadlock when nothing can wake it', () => {
    const clock = new VirtualClock();
    const cpu = new VirtualCpu(clock);
    expect(cpu.idle(5000)).toBe(true);
    expect(clock.monotonicNs()).toBe(5000);
    expect(cpu.idle(undefined)).toBe(false);
    let pending = 1;
    cpu.addInterruptSource(() => pending-- > 0);
    expect(cpu.idle(undefined)).toBe(true);
  });

  it('HostCpu sleeps the host thread until the next timer', () => {
    const clock = new HostClock();
    const sched = new Scheduler(clock, new HostCpu(clock));
    const t0 = performance.now();
    let ran = false;
    sched.spawn(function* () {
      yield* sched.sleep(30e6);
      ran = true;
    });
    expect(sched.block(() => ran)).toBe(true);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(29);
    expect(sched.idleNs).toBeGreaterThan(20e6);
  });
});

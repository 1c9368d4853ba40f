// A prestarted vCPU worker boots the kernel it is given later, with the guest RAM it is given,
// exactly once; one that boots nothing ends when closed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VcpuWorker } from './vcpu-worker.js';

/** A stand-in kernel: reads its RAM where the real entry does (workerData.ram) and marks it. */
function kernelFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vcpu-worker-')), 'kernel.mjs');
  writeFileSync(
    path,
    `import { workerData } from 'node:worker_threads';
const words = new Int32Array(workerData.ram);
Atomics.store(words, 0, 42);
Atomics.notify(words, 0);
`,
  );
  return pathToFileURL(path).href;
}

describe('VcpuWorker', () => {
  it('boots a kernel named after it started, on the RAM it is handed', async () => {
    const vcpu = VcpuWorker.start();
    const ram = new SharedArrayBuffer(4096);
    const words = new Int32Array(ram);
    const worker = vcpu.boot(ram, kernelFile());
    const wait = Atomics.waitAsync(words, 0, 0, 10_000);
    if (wait.async) await wait.value;
    expect(Atomics.load(words, 0)).toBe(42);
    expect(() => vcpu.boot(ram, kernelFile())).toThrow(/already booted/);
    await worker.terminate();
  });

  it('ends a worker that boots nothing when closed', async () => {
    const vcpu = VcpuWorker.start();
    const exited = new Promise<number>((resolve) => vcpu.worker.once('exit', resolve));
    vcpu.close();
    await expect(exited).resolves.toBeTypeOf('number');
    expect(() => vcpu.boot(new SharedArrayBuffer(8), kernelFile())).toThrow();
  });
});

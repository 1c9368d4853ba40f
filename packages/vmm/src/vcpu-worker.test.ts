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

/**
 * A stand-in kernel that reports the realm it finds: word 0 becomes 2 when it is locked down by
 * SES (a frozen Object.prototype, Compartment and harden present, Function.prototype.constructor
 * tamed), 1 when it is a plain realm.
 */
function realmProbeFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vcpu-worker-')), 'kernel.mjs');
  writeFileSync(
    path,
    `import { workerData } from 'node:worker_threads';
const words = new Int32Array(workerData.ram);
let tamed = false;
try { (function () {}).constructor('return 1')(); } catch { tamed = true; }
const hardened = Object.isFrozen(Object.prototype) && typeof Compartment === 'function' && typeof harden === 'function' && tamed;
Atomics.store(words, 0, hardened ? 2 : 1);
Atomics.notify(words, 0);
`,
  );
  return pathToFileURL(path).href;
}

/** Boots the realm probe on `vcpu` and returns what it reported (see realmProbeFile). */
async function realmSeen(vcpu: VcpuWorker, hardened: boolean): Promise<number> {
  const ram = new SharedArrayBuffer(4096);
  const words = new Int32Array(ram);
  const worker = vcpu.boot(ram, realmProbeFile(), hardened);
  const wait = Atomics.waitAsync(words, 0, 0, 20_000);
  if (wait.async) await wait.value;
  await worker.terminate();
  return Atomics.load(words, 0);
}

describe('VcpuWorker', () => {
  it('locks its realm down with SES for a kernel that needs it: at start, by harden(), or at boot', async () => {
    expect(await realmSeen(VcpuWorker.start({ harden: true }), true)).toBe(2);
    const told = VcpuWorker.start();
    told.harden();
    expect(await realmSeen(told, true)).toBe(2);
    expect(await realmSeen(VcpuWorker.start(), true)).toBe(2);
  });

  it('leaves the realm plain for a kernel that does not need it', async () => {
    expect(await realmSeen(VcpuWorker.start(), false)).toBe(1);
  });

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

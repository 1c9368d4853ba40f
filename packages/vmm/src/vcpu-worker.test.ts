// A prestarted vCPU worker boots the kernel it is given later, with the guest RAM it is given,
// exactly once; one that boots nothing ends when closed.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VcpuWorker } from './vcpu-worker.js';
import type { KernelBoot } from './kernel-script.js';

/** A stand-in kernel: a classic script that reads its RAM where a bundle does (kernel-api's VcpuEntry) and marks it. */
function kernelFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vcpu-worker-')), 'kernel.js');
  writeFileSync(
    path,
    `const words = new Int32Array(__osv_vcpu.ram);
Atomics.store(words, 0, 42);
Atomics.notify(words, 0);
`,
  );
  return path;
}

/**
 * A stand-in kernel that reports the realm it finds: word 0 becomes 2 when it is locked down by
 * SES (a frozen Object.prototype, Compartment and harden present, Function.prototype.constructor
 * tamed), 1 when it is a plain realm.
 */
function realmProbeFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vcpu-worker-')), 'kernel.js');
  writeFileSync(
    path,
    `const words = new Int32Array(__osv_vcpu.ram);
let tamed = false;
try { (function () {}).constructor('return 1')(); } catch { tamed = true; }
const hardened = Object.isFrozen(Object.prototype) && typeof Compartment === 'function' && typeof harden === 'function' && tamed;
Atomics.store(words, 0, hardened ? 2 : 1);
Atomics.notify(words, 0);
`,
  );
  return path;
}

/** Boots `boot` on `vcpu` and returns what the probe kernel left in word 0 of its RAM. */
async function probeSeen(vcpu: VcpuWorker, boot: Omit<KernelBoot, 'ram'>, hardened = false): Promise<number> {
  const ram = new SharedArrayBuffer(4096);
  const words = new Int32Array(ram);
  const worker = vcpu.boot({ ...boot, ram }, hardened);
  const wait = Atomics.waitAsync(words, 0, 0, 20_000);
  if (wait.async) await wait.value;
  await worker.terminate();
  return Atomics.load(words, 0);
}

/** The realm probe's report (see realmProbeFile). */
const realmSeen = (vcpu: VcpuWorker, hardened: boolean): Promise<number> =>
  probeSeen(vcpu, { kernelPath: realmProbeFile() }, hardened);

/**
 * A stand-in kernel that calls VcpuEntry.poweringOff like the real one and reports whether it
 * had one: word 0 becomes 1 when it did (no usable code cache: one is being made), 2 when not.
 * `padding` changes the source (and its length).
 */
function cacheProbeFile(dir: string, padding = ''): string {
  const path = join(dir, 'kernel.js');
  writeFileSync(
    path,
    `const words = new Int32Array(__osv_vcpu.ram);
function work(n) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; } // ${padding}
work(1000);
const fresh = typeof __osv_vcpu.poweringOff === 'function';
if (fresh) __osv_vcpu.poweringOff();
Atomics.store(words, 0, fresh ? 1 : 2);
Atomics.notify(words, 0);
`,
  );
  return path;
}

/** The cache probe's report for `kernelPath` booted with `codeCachePath` on a new worker. */
const cacheSeen = (kernelPath: string, codeCachePath: string): Promise<number> =>
  probeSeen(VcpuWorker.start(), { kernelPath, codeCachePath });

describe('VcpuWorker', () => {
  it('keeps a V8 code cache of the kernel at power-off and uses it next boot; a changed kernel makes a new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vcpu-cache-'));
    const cache = join(dir, 'kernel.v8cache');
    const kernel = cacheProbeFile(dir);
    expect(await cacheSeen(kernel, cache)).toBe(1);
    expect(statSync(cache).size).toBeGreaterThan(0);
    expect(await cacheSeen(kernel, cache)).toBe(2);
    // Another source (another length) under the same names: V8 rejects the cache, a new one is made.
    cacheProbeFile(dir, 'changed');
    expect(await cacheSeen(kernel, cache)).toBe(1);
    expect(await cacheSeen(kernel, cache)).toBe(2);
    // A damaged cache is rejected the same way.
    writeFileSync(cache, 'not a code cache');
    expect(await cacheSeen(kernel, cache)).toBe(1);
  });

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
    const worker = vcpu.boot({ kernelPath: kernelFile(), ram });
    const wait = Atomics.waitAsync(words, 0, 0, 10_000);
    if (wait.async) await wait.value;
    expect(Atomics.load(words, 0)).toBe(42);
    expect(() => vcpu.boot({ kernelPath: kernelFile(), ram })).toThrow(/already booted/);
    await worker.terminate();
  });

  it('ends a worker that boots nothing when closed', async () => {
    const vcpu = VcpuWorker.start();
    const exited = new Promise<number>((resolve) => vcpu.worker.once('exit', resolve));
    vcpu.close();
    await expect(exited).resolves.toBeTypeOf('number');
    expect(() => vcpu.boot({ kernelPath: kernelFile(), ram: new SharedArrayBuffer(8) })).toThrow();
  });
});

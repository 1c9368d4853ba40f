// Composed kernels and the hardened realm: on vm-node a kernel with the js-app module links no
// SES of its own (the vCPU worker locks the realm down first) and refuses to start in a realm
// that is not locked down; in browsers the bundle brings SES itself.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VcpuWorker } from '@osv-ts/vmm/vcpu-worker';
import { describe, expect, it } from 'vitest';
import { composeKernel } from './kernel-bundle.js';
import { loadCatalog } from './module-catalog.js';

const catalog = loadCatalog();
const modules = (...names: string[]) => names.map((n) => catalog.find((m) => m.name === n)!);
/** A string only SES's own source holds (its lockdown's error code). */
const SES_CODE = 'SES_ALREADY_LOCKED_DOWN';

describe('composeKernel and the hardened realm', () => {
  it('links no SES into a vm-node kernel with js-app, and says the realm must be hardened', async () => {
    const kernel = await composeKernel(modules('vfs', 'js-app', 'virtio-console'), 'vm-node');
    expect(kernel.hardenedRealm).toBe(true);
    const code = readFileSync(kernel.path, 'utf8');
    expect(code).not.toContain(SES_CODE);
    expect(code).toContain('needs the hardened realm');
    const plain = await composeKernel(modules('virtio-console'), 'vm-node');
    expect(plain.hardenedRealm).toBe(false);
  });

  it("names each kernel's V8 code cache by the SHA-256 of its code (V8 checks only a source's length)", async () => {
    const a = await composeKernel(modules('virtio-console'), 'vm-node');
    const again = await composeKernel(modules('virtio-console'), 'vm-node');
    const b = await composeKernel(modules('vfs', 'virtio-console'), 'vm-node');
    const code = (path: string) => readFileSync(path).subarray(readFileSync(path).indexOf(10) + 1);
    const sha = (path: string) => createHash('sha256').update(code(path)).digest('hex');
    expect(a.codeCachePath).toBe(again.codeCachePath);
    expect(a.codeCachePath).toContain(sha(a.path));
    expect(b.codeCachePath).toContain(sha(b.path));
    expect(b.codeCachePath).not.toBe(a.codeCachePath);
  });

  it('bundles SES into a vm-browser kernel with js-app (no host locks a browser worker down)', async () => {
    const kernel = await composeKernel(modules('vfs', 'js-app', 'virtio-console'), 'vm-browser');
    expect(readFileSync(kernel.path, 'utf8')).toContain(SES_CODE);
  });

  it('stops at its first line when its worker did not lock the realm down', async () => {
    const kernel = await composeKernel(modules('vfs', 'js-app', 'virtio-console'), 'vm-node');
    const worker = VcpuWorker.start().boot({ kernelPath: kernel.path, ram: new SharedArrayBuffer(1 << 20) }, false);
    const error = await new Promise<Error>((resolve) => worker.once('error', resolve));
    expect(error.message).toMatch(/needs the hardened realm .* did not lock it down/);
  });
});

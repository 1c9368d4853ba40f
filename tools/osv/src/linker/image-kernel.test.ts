// osv run -i's kernel: composed from the installed packages as the image's identity names it,
// filed under its SHA-256, found there the next time — and never the image's own bytes.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootRecord } from '@osv-ts/vmm';
import { KernelTrustError, composeImageKernel } from './image-kernel.js';
import { composeKernel } from './kernel-bundle.js';
import { encodeKernelIdentity, identifyKernel, sha256Hex } from './kernel-identity.js';
import { loadCatalog } from './module-catalog.js';

const saved = process.env['OSV_CACHE_DIR'];
let cache: string;
let record: BootRecord;

beforeAll(async () => {
  const console = loadCatalog().filter((m) => m.name === 'virtio-console');
  const built = await composeKernel(console, 'vm-node');
  const kernel = readFileSync(built.path);
  record = {
    kernel,
    cmdline: '',
    bootfs: new Uint8Array(0),
    kernelIdentity: encodeKernelIdentity(identifyKernel('vm-node', ['virtio-console'], kernel)),
  };
  // A fresh cache from here on: the image's kernel has not been composed in it.
  cache = mkdtempSync(join(tmpdir(), 'osv-image-kernel-'));
  process.env['OSV_CACHE_DIR'] = cache;
});
afterAll(() => {
  if (saved === undefined) delete process.env['OSV_CACHE_DIR'];
  else process.env['OSV_CACHE_DIR'] = saved;
});

describe('composeImageKernel', () => {
  it('composes the named kernel on first use, files it under its SHA-256, and finds it there next time', async () => {
    const first = await composeImageKernel('img', record);
    expect(first.bundle.cached).toBe(false);
    expect(first.bundle.path.startsWith(cache)).toBe(true);
    expect(sha256Hex(readFileSync(first.bundle.path))).toBe(sha256Hex(record.kernel));
    const sha = sha256Hex(record.kernel);
    expect(readdirSync(cache)).toContain(`kernel-sha256-${sha}.mjs`);
    const second = await composeImageKernel('img', record);
    expect(second.bundle.path).toBe(join(cache, `kernel-sha256-${sha}.mjs`));
    expect(second.bundle.cached).toBe(true);
  });

  it('refuses, even with the kernel filed, an image whose identity names other package versions or leaves one out', async () => {
    await composeImageKernel('img', record);
    const identity = JSON.parse(record.kernelIdentity!) as { packages: Record<string, string> };
    identity.packages['@osv-ts/libc'] = '0.0.1';
    const older = { ...record, kernelIdentity: JSON.stringify(identity) };
    await expect(composeImageKernel('img', older)).rejects.toThrow(KernelTrustError);
    await expect(composeImageKernel('img', older)).rejects.toThrow(/@osv-ts\/libc 0\.0\.1; installed is 0\.1\.0/);
    delete identity.packages['@osv-ts/libc'];
    const silent = { ...record, kernelIdentity: JSON.stringify(identity) };
    await expect(composeImageKernel('img', silent)).rejects.toThrow(/names no version of @osv-ts\/libc/);
  });

  it('never returns the stored bytes as the kernel: a bundle that differs from the record is refused', async () => {
    const tampered = { ...record, kernel: new TextEncoder().encode('export {};') };
    await expect(composeImageKernel('img', tampered)).rejects.toThrow(/the boot partition was changed after osv build/);
  });
});

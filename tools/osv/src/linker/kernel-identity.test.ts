// A kernel identity round-trips through its JSON, and one read from a hostile image is refused
// field by field (it is the only part of the boot record osv run -i acts on).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KERNEL_IDENTITY_FORMAT,
  KernelIdentityError,
  encodeKernelIdentity,
  identifyKernel,
  installedKernelPackages,
  parseKernelIdentity,
  sha256Hex,
} from './kernel-identity.js';
import { KERNEL_PACKAGES } from './module-catalog.js';

const bundle = new TextEncoder().encode('export {};\n');
const good = identifyKernel('vm-node', ['vfs', 'rofs', 'virtio-blk', 'virtio-console'], bundle);

describe('kernel identity', () => {
  it('records the target, modules in order, every kernel package version, the composer and the bundle hash', () => {
    expect(good.format).toBe(KERNEL_IDENTITY_FORMAT);
    expect(good.modules).toEqual(['vfs', 'rofs', 'virtio-blk', 'virtio-console']);
    expect(Object.keys(good.packages).sort()).toEqual([...KERNEL_PACKAGES].sort());
    expect(good.packages).toEqual(installedKernelPackages());
    expect(good.composer.esbuild).toMatch(/^\d+\.\d+\.\d+/);
    expect(good.bundleSha256).toBe(sha256Hex(bundle));
    expect(parseKernelIdentity(encodeKernelIdentity(good))).toEqual(good);
  });

  it('round-trips any well-formed identity', () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9:-]{0,20}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 12 }),
        fc.constantFrom('vm-node' as const, 'vm-browser' as const),
        fc.uint8Array({ maxLength: 100 }),
        fc.option(fc.constantFrom('vm-node', 'vm-node-minimal', 'my.profile_2'), { nil: undefined }),
        (modules, target, bytes, profile) => {
          const id = identifyKernel(target, modules, bytes, profile);
          expect(parseKernelIdentity(encodeKernelIdentity(id))).toEqual(id);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a malformed identity, naming the field', () => {
    const text = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });
    const cases: [string, string][] = [
      ['{', 'JSON'],
      ['[]', '(top level)'],
      [text({ format: 'osv-ts-kernel/9' }), 'format'],
      [text({ target: 'bare-metal' }), 'target'],
      [text({ modules: 'vfs' }), 'modules'],
      [text({ modules: ['vfs', '../../etc'] }), 'modules[1]'],
      [text({ modules: ['vfs', 'vfs'] }), 'modules[1]'],
      [text({ packages: { 'left-pad': '1.0.0' } }), 'packages'],
      [text({ packages: { '@osv-ts/kernel': 'latest' } }), 'packages.@osv-ts/kernel'],
      [text({ composer: { osv: '0.1.0' } }), 'composer.esbuild'],
      [text({ bundleSha256: 'ABC' }), 'bundleSha256'],
      [text({ profile: '../vm-node' }), 'profile'],
      [text({ profile: 7 }), 'profile'],
    ];
    for (const [input, field] of cases) {
      let error: unknown;
      try {
        parseKernelIdentity(input);
      } catch (e) {
        error = e;
      }
      expect(error, input).toBeInstanceOf(KernelIdentityError);
      expect((error as KernelIdentityError).field, input).toBe(field);
    }
  });

  it('never throws anything but KernelIdentityError on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          parseKernelIdentity(JSON.stringify(v));
        } catch (e) {
          expect(e).toBeInstanceOf(KernelIdentityError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

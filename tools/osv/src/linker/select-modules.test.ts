import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CAPABILITIES, type Capability } from '@osv-ts/kernel-api';
import type { CatalogEntry } from './module-catalog.js';
import { loadCatalog } from './module-catalog.js';
import { loadProfile, profileCapabilities, type Profile } from './profile.js';
import { ModuleSelectionError, selectModules, type Need } from './select-modules.js';

const profile = (devices: string[], name = 'test'): Profile => ({
  name,
  description: 'a test machine',
  target: 'vm-node',
  transport: 'virtio-mmio',
  devices,
  offers: ['scheduler', 'clock', 'entropy', 'page-allocator'],
  path: `${name}.json`,
});

const mod = (name: string, provides: Capability[], requires: Capability[] = [], extra = {}): CatalogEntry => ({
  name,
  entry: `./${name}`,
  provides,
  requires,
  packageName: '@test/pkg',
  specifier: `@test/pkg/${name}`,
  packageDir: '/nowhere',
  ...extra,
});

const need = (capability: Capability, optional = false): Need => ({ capability, reason: 'the test', optional });

const failure = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModuleSelectionError);
    return (e as Error).message;
  }
  throw new Error('expected a ModuleSelectionError');
};

const CATALOG = [
  mod('con', ['console'], ['virtio-mmio', 'device:virtio-console']),
  mod('blk', ['blockdev'], ['virtio-mmio', 'device:virtio-blk']),
  mod('vfs', ['vfs'], ['clock']),
  mod('rofs', ['fs:rofs'], ['vfs']),
  mod('fs', ['wasi:fs'], ['vfs']),
  mod('net', ['netdev'], ['device:virtio-net']),
  mod('stack', ['netstack'], ['netdev', 'entropy']),
];

describe('selectModules', () => {
  it('adds what the needed modules require, in initialisation order, each with its reason', () => {
    const s = selectModules(CATALOG, profile(['virtio-console']), [need('console'), need('wasi:fs')]);
    expect(s.selected.map((m) => [m.module.name, m.reason])).toEqual([
      ['con', 'console ← the test'],
      ['vfs', 'vfs ← fs'],
      ['fs', 'wasi:fs ← the test'],
    ]);
    expect(s.unavailable).toEqual([]);
  });

  it('needs no module for what the profile offers', () => {
    expect(selectModules(CATALOG, profile([]), [need('clock'), need('entropy')]).modules).toEqual([]);
  });

  it('refuses a need nothing provides, naming it and who needed it', () => {
    expect(failure(() => selectModules(CATALOG, profile([]), [need('fs:zfs')]))).toBe(
      "no kernel module provides 'fs:zfs' on profile test (needed by the test)",
    );
  });

  it('refuses a profile lacking a device a needed driver requires', () => {
    expect(failure(() => selectModules(CATALOG, profile(['virtio-console']), [need('netstack')]))).toBe(
      'profile test attaches no virtio-net device (needed by net)',
    );
  });

  it('leaves out an optional need it cannot satisfy, and reports it', () => {
    const s = selectModules(CATALOG, profile(['virtio-console']), [need('console'), need('netstack', true)]);
    expect(s.modules.map((m) => m.name)).toEqual(['con']);
    expect(s.unavailable.map((n) => n.capability)).toEqual(['netstack']);
  });

  it('takes the first alternative whose own requirements are met', () => {
    const catalog = [
      mod('con-virtio', ['console'], ['device:virtio-console']),
      mod('con-serial', ['console'], ['clock']),
      ...CATALOG,
    ];
    expect(selectModules(catalog, profile([]), [need('console')]).modules.map((m) => m.name)).toEqual(['con-serial']);
    expect(selectModules(catalog, profile(['virtio-console']), [need('console')]).modules.map((m) => m.name)).toEqual([
      'con-virtio',
    ]);
    const preferred = selectModules(catalog, profile(['virtio-console']), [need('console')], {
      prefer: ['con-serial'],
    });
    expect(preferred.modules.map((m) => m.name)).toEqual(['con-serial']);
  });

  it('refuses modules that conflict, and two providers of a one-per-kernel capability', () => {
    const catalog = [...CATALOG, mod('vfs2', ['vfs', 'fs:zfs'])];
    expect(failure(() => selectModules(catalog, profile([]), [need('fs:rofs'), need('fs:zfs')]))).toBe(
      "vfs2 and vfs both provide 'vfs', which a kernel has one of",
    );
    const other = [...CATALOG, mod('zfs', ['fs:zfs'], ['vfs'], { conflicts: ['rofs'] })];
    expect(failure(() => selectModules(other, profile([]), [need('fs:rofs'), need('fs:zfs')]))).toBe(
      'zfs conflicts with rofs',
    );
  });

  it('links and excludes modules by name (--modules +a,-b)', () => {
    const s = selectModules(CATALOG, profile(['virtio-console']), [need('console')], { include: ['rofs'] });
    expect(s.selected.map((m) => [m.module.name, m.reason])).toEqual([
      ['con', 'console ← the test'],
      ['vfs', 'vfs ← rofs'],
      ['rofs', '--modules +rofs'],
    ]);
    expect(failure(() => selectModules(CATALOG, profile([]), [need('wasi:fs')], { exclude: ['vfs'] }))).toBe(
      "'vfs' (needed by fs) comes only from vfs, which --modules -vfs excludes",
    );
    expect(failure(() => selectModules(CATALOG, profile([]), [], { include: ['nfs'] }))).toMatch(
      /^no kernel module is named 'nfs' \(modules: blk, con, /,
    );
  });

  it('links every module the profile can carry with --all', () => {
    const s = selectModules(CATALOG, profile(['virtio-console', 'virtio-blk']), [], { all: true });
    expect(s.modules.map((m) => m.name).sort()).toEqual(['blk', 'con', 'fs', 'rofs', 'vfs']);
  });

  it('satisfies every requirement and links nothing no requirement reached (property)', () => {
    const caps = Object.keys(CAPABILITIES) as Capability[];
    const devices = ['virtio-console', 'virtio-blk', 'virtio-net', 'virtio-rng'];
    const arbModule = (i: number) =>
      fc
        .record({
          provides: fc.uniqueArray(fc.constantFrom(...caps), { minLength: 1, maxLength: 2 }),
          requires: fc.uniqueArray(fc.constantFrom(...caps), { maxLength: 3 }),
        })
        .map(({ provides, requires }) =>
          mod(
            `m${i}`,
            provides,
            requires.filter((r) => !provides.includes(r)),
          ),
        );
    const arbCatalog = fc
      .integer({ min: 1, max: 8 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbModule(i))));
    fc.assert(
      fc.property(
        arbCatalog,
        fc.subarray(devices),
        fc.uniqueArray(fc.constantFrom(...caps), { minLength: 1, maxLength: 4 }),
        (catalog, devs, wanted) => {
          const p = profile(devs);
          let s;
          try {
            s = selectModules(
              catalog,
              p,
              wanted.map((c) => need(c)),
            );
          } catch (e) {
            if (e instanceof ModuleSelectionError) return; // refused, naming why
            throw e;
          }
          const offered = profileCapabilities(p);
          const provided = (c: Capability, before: number): boolean =>
            offered.has(c) || s.modules.slice(0, before).some((m) => m.provides.includes(c));
          for (const c of wanted) expect(provided(c, s.modules.length)).toBe(true);
          s.modules.forEach((m, i) => {
            // Each requirement is met by the profile or a module initialised earlier.
            for (const r of m.requires ?? []) expect(provided(r, i)).toBe(true);
            // Each module provides something wanted or required by another linked module.
            const reached = m.provides.some(
              (c) => !offered.has(c) && (wanted.includes(c) || s.modules.some((o) => o.requires?.includes(c))),
            );
            expect(reached).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the installed modules and profiles', () => {
  it('link a console-only kernel for hello on vm-node-minimal', () => {
    const s = selectModules(loadCatalog(), loadProfile('vm-node-minimal'), [need('console'), need('hwrng', true)]);
    expect(s.modules.map((m) => m.name)).toEqual(['virtio-console']);
    expect(s.unavailable.map((n) => n.capability)).toEqual(['hwrng']);
  });

  it('refuse sockets on vm-node-minimal, naming the missing device', () => {
    expect(failure(() => selectModules(loadCatalog(), loadProfile('vm-node-minimal'), [need('wasi:net')]))).toBe(
      'profile vm-node-minimal attaches no virtio-net device (needed by virtio-net)',
    );
  });
});

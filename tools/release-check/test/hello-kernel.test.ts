// hello's kernel holds no VFS, network stack, ZFS or block-driver code, nor SES and libc's Posix
// (the js-app module's, linked only for JS apps), and is as large as the READMEs say. The kernel is composed by the installed osv CLI into an empty OSV_CACHE_DIR, and
// every file found there is read. Kernels that need those subsystems are read the same way, as
// the control: the scan finds their code when it is linked.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { declaredNames, linkedNames } from '../src/kernel-contents.js';
import { REPO_ROOT } from '../src/workspace.js';

const project = inject('project');
const OSV = join(project.dir, 'node_modules', '@osv-ts', 'osv', 'bin', 'osv.js');

// Names also declared by the packages every kernel links (helpers such as `need` or `u32`)
// prove nothing, so only a subsystem's own names count.
const linkedAlways = [
  ...['kernel-api', 'core-sched', 'elf-linker', 'libc', 'kernel'].map((p) => declaredNames(`packages/${p}/src`)),
  declaredNames('packages/drivers-virtio/src', /\/src\/blk\//),
];
const own = (names: Set<string>): string[] => [...names].filter((n) => !linkedAlways.some((s) => s.has(n)));

const SUBSYSTEMS = {
  // The bootfs format parser is the boot loader's (the kernel reads its program from the
  // bootfs when no VFS is linked, as OSv's loader reads bootfs.bin); the rest is the VFS.
  vfs: own(declaredNames('packages/vfs/src', /fs\/bootfs\/bootfs-format\.ts$/)),
  netstack: own(declaredNames('packages/netstack/src')),
  zfs: own(declaredNames('packages/zfs/src')),
  'block driver': own(declaredNames('packages/drivers-virtio/src/blk')),
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Composes the kernel for an example app into a fresh cache; returns every kernel file there. */
function compose(app: string): { files: string[]; code: string[]; sizeKiB: number } {
  const cache = mkdtempSync(join(tmpdir(), 'osv-ts-kernel-'));
  dirs.push(cache);
  execFileSync(process.execPath, [OSV, 'run', '--dry-run', join(REPO_ROOT, 'examples', app)], {
    cwd: project.dir,
    env: { ...process.env, OSV_CACHE_DIR: cache },
    stdio: 'pipe',
  });
  // Besides kernels the cache holds osv's memo of the packages' build digest and the V8 code
  // cache of the CLI itself (bin/osv.js), neither of them kernel code.
  const files = readdirSync(cache)
    .filter((f) => f !== 'dist-digests.json' && !/^cli-code-cache-.*\.bin$/.test(f))
    .map((f) => join(cache, f));
  const code = files.map((f) => readFileSync(f, 'utf8'));
  return { files, code, sizeKiB: code.reduce((n, c) => n + Buffer.byteLength(c), 0) / 1024 };
}

/**
 * Error codes SES's own source spells out (its lockdown() refusing a second lockdown): present
 * exactly when SES is bundled. SES is a dependency, not a workspace package, so declaredNames
 * cannot list its names.
 */
const SES_MARKERS = ['SES_ALREADY_LOCKED_DOWN', 'SES_MULTIPLE_INSTANCES'];
const sesMarkers = (code: readonly string[]): string[] => SES_MARKERS.filter((m) => code.some((c) => c.includes(m)));

function linked(code: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(SUBSYSTEMS).map(([name, names]) => [name, code.flatMap((c) => linkedNames(c, names))]),
  );
}

describe("hello's kernel", () => {
  const hello = compose('hello/hello.wasm');

  it('is one kernel file holding no VFS, netstack, ZFS or block-driver code, and no SES or Posix', () => {
    expect(hello.files.length).toBe(1);
    expect(linked(hello.code)).toEqual({ vfs: [], netstack: [], zfs: [], 'block driver': [] });
    expect(sesMarkers(hello.code)).toEqual([]);
    // libc is linked into every kernel, but JS apps' Posix only with the js-app module.
    expect(hello.code.flatMap((c) => linkedNames(c, ['Posix', 'AddrInfoError']))).toEqual([]);
  });

  it('is as large as the READMEs say (within 10%)', () => {
    for (const readme of ['README.md', 'tools/osv/README.md']) {
      const claims = [
        ...readFileSync(join(REPO_ROOT, readme), 'utf8').matchAll(/hello's\s+kernel\s+is\s+(\d+(?:\.\d+)?)\s+KiB/g),
      ];
      expect(claims.length, readme).toBeGreaterThan(0);
      for (const [, kib] of claims) {
        expect(
          Math.abs(Number(kib) - hello.sizeKiB) / hello.sizeKiB,
          `${readme}: ${kib} KiB, measured ${hello.sizeKiB.toFixed(1)} KiB`,
        ).toBeLessThan(0.1);
      }
    }
  });

  it('differs from kernels that need the VFS, the network stack or SES, whose code the scan finds', () => {
    const files = linked(compose('fsutil/fsutil.wasm').code);
    expect(files.vfs).toEqual(expect.arrayContaining(['Vfs', 'RamFs', 'DevFs']));
    expect(files.netstack).toEqual([]);
    const net = linked(compose('httpd/httpd.wasm').code);
    expect(net.netstack).toEqual(expect.arrayContaining(['NetStack', 'TcpSocket', 'DhcpClient', 'parseDhcp']));
    // A JS app's kernel links the js-app module and Posix with it. SES it does not bundle: the
    // vCPU worker locks the realm down with the installed ses before the kernel's first line
    // (docs/isolation.md), and the kernel checks that it did. The markers are SES's own (the
    // control that the scan would find it).
    const js = compose('wget/wget.mjs').code;
    expect(sesMarkers(js)).toEqual([]);
    expect(js.some((c) => c.includes('this kernel needs the hardened realm'))).toBe(true);
    const ses = readFileSync(createRequire(join(project.dir, 'package.json')).resolve('ses'), 'utf8');
    expect(sesMarkers([ses])).toEqual(SES_MARKERS);
    expect(js.flatMap((c) => linkedNames(c, ['Posix', 'AddrInfoError']))).toEqual(['Posix', 'AddrInfoError']);
  });
});

// Files the CLI writes and caches: images appear at -o complete or not at all (a temporary file
// beside it, renamed into place), a damaged cached or filed kernel is composed again rather than
// booted, and a cache directory that cannot be made is one line, not a spin.
import { spawn, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, example, osv } from './osv-cli.js';

/** A directory holding a manifest of one large file, and nothing else. */
function largeInput(
  name: string,
  bytes: number,
  fill: (b: Buffer) => Buffer = (b) => b.fill(0x5a),
): { dir: string; manifest: string; inputs: string[] } {
  const dir = mkdtempSync(join(tmpdir(), `osv-files-${name}-`));
  writeFileSync(join(dir, 'large.bin'), fill(Buffer.alloc(bytes)));
  writeFileSync(join(dir, 'usr.manifest'), '/large.bin: large.bin\n');
  return { dir, manifest: join(dir, 'usr.manifest'), inputs: ['large.bin', 'usr.manifest'] };
}

/**
 * Starts `osv args…`, sends SIGINT once the temporary output file shows up in `dir` (the write
 * is under way), and resolves with how the process ended.
 */
function interruptWhileWriting(
  dir: string,
  args: string[],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; sawTemp: boolean; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let sawTemp = false;
  const poll = setInterval(() => {
    if (!sawTemp && readdirSync(dir).some((f) => f.endsWith('.tmp'))) {
      sawTemp = true;
      child.kill('SIGINT');
    }
  }, 2);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, sawTemp, stderr });
    }),
  );
}

describe('images are written to a temporary file and renamed into place', () => {
  it('Ctrl-C during osv mkfs leaves no file at -o and no temporary file', async () => {
    const { dir, manifest, inputs } = largeInput('mkfs', 256 << 20);
    const r = await interruptWhileWriting(dir, ['mkfs', 'rofs', manifest, '-o', join(dir, 'out.img')]);
    expect(r.sawTemp).toBe(true); // the interrupt came while the image was being written
    expect(r.code).toBe(130);
    expect(r.stderr).toBe('');
    expect(readdirSync(dir).sort()).toEqual(inputs);
    rmSync(dir, { recursive: true });
  }, 120_000);

  it('Ctrl-C during osv build leaves no file at -o and no temporary file', async () => {
    const { dir, manifest, inputs } = largeInput('build', 256 << 20);
    const r = await interruptWhileWriting(dir, ['build', '--manifest', manifest, '-o', join(dir, 'out.img')]);
    expect(r.sawTemp).toBe(true);
    expect(r.code).toBe(130);
    expect(readdirSync(dir).sort()).toEqual(inputs);
    rmSync(dir, { recursive: true });
  }, 120_000);

  it('Ctrl-C before the write starts leaves nothing either', async () => {
    // Random bytes compressed with gzip-9: building the pool in memory takes seconds.
    const { dir, manifest, inputs } = largeInput('early', 32 << 20, (b) => randomFillSync(b));
    const out = join(dir, 'out.img');
    const child = spawn(process.execPath, [CLI, 'mkfs', 'zfs', manifest, '--compression', 'gzip-9', '-o', out], {
      stdio: 'ignore',
    });
    // Interrupt while the pool is built, before anything is written.
    await new Promise((r) => setTimeout(r, 700));
    expect(readdirSync(dir).sort()).toEqual(inputs);
    child.kill('SIGINT');
    const signal = await new Promise((r) => child.on('close', (_code, s) => r(s)));
    expect(signal).toBe('SIGINT');
    expect(readdirSync(dir).sort()).toEqual(inputs);
    rmSync(dir, { recursive: true });
  }, 60_000);

  it('a full disk fails the write with one line and leaves no partial image', () => {
    const { dir, manifest } = largeInput('full', 3 << 20);
    const small = join(dir, 'small');
    mkdirSync(small);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small], { encoding: 'utf8' });
    if (mounted.status !== 0) throw new Error(`this test mounts a 1 MiB tmpfs and needs root: ${mounted.stderr}`);
    try {
      const r = osv(['mkfs', 'rofs', manifest, '-o', join(small, 'out.img')]);
      expect(r.stderr).toMatch(/^osv: -o .*small\/out\.img: ENOSPC: no space left on device\n$/);
      expect(r.status).toBe(1);
      expect(readdirSync(small)).toEqual([]);
    } finally {
      spawnSync('umount', [small]);
      rmSync(dir, { recursive: true });
    }
  });
});

describe('the kernel cache', () => {
  it('rebuilds a damaged cached kernel bundle instead of booting it', () => {
    const cache = mkdtempSync(join(tmpdir(), 'osv-cache-'));
    const env = { ...process.env, OSV_CACHE_DIR: cache };
    const run = (): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, [CLI, 'run', '-V', example('hello')], { env, encoding: 'utf8', timeout: 60_000 });
    expect(run().status).toBe(0);
    const [bundle] = readdirSync(cache).filter((f) => f.startsWith('kernel-vm-node-'));
    const path = join(cache, bundle!);
    const bytes = readFileSync(path);
    bytes.write('}}} not JavaScript {{{', bytes.length >> 1);
    writeFileSync(path, bytes);
    const repaired = run();
    expect(repaired.stdout).toBe('Hello from osv-ts!\nargv[0] = hello.wasm\n');
    expect(repaired.stderr).toMatch(/osv: kernel [0-9a-f]{16} \(\d+\.\d KiB\) modules/); // composed, not "cached"
    expect(repaired.status).toBe(0);
    expect(run().stderr).toMatch(/osv: kernel [0-9a-f]{16} \(\d+\.\d KiB, cached\)/);
    rmSync(cache, { recursive: true });
  });

  it('composes again a damaged filed kernel that an image names, rather than booting it', () => {
    const cache = mkdtempSync(join(tmpdir(), 'osv-cache-'));
    const env = { ...process.env, OSV_CACHE_DIR: cache };
    const img = join(cache, 'hello.img');
    expect(spawnSync(process.execPath, [CLI, 'build', '--app', example('hello'), '-o', img], { env }).status).toBe(0);
    const boot = (): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, [CLI, 'run', '-i', img], { env, encoding: 'utf8', timeout: 60_000 });
    expect(boot().status).toBe(0);
    const [filed] = readdirSync(cache).filter((f) => f.startsWith('kernel-sha256-'));
    writeFileSync(join(cache, filed!), 'throw new Error("damaged");');
    const r = boot();
    expect(r.stdout).toBe('Hello from osv-ts!\nargv[0] = /hello.wasm\n');
    expect(r.status, String(r.stderr)).toBe(0);
    expect(readFileSync(join(cache, filed!), 'utf8')).not.toContain('damaged'); // filed again
    rmSync(cache, { recursive: true });
  });

  it('a cache directory that cannot be made is one line, at once', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', example('hello')], {
      env: { ...process.env, OSV_CACHE_DIR: '/proc/osv-cache' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stderr).toBe('osv: OSV_CACHE_DIR=/proc/osv-cache: cannot make /proc/osv-cache: ENOENT\n');
    expect(r.status).toBe(1);
  });
});

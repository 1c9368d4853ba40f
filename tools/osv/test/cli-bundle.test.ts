// bin/osv.js runs the CLI from dist/cli-bundle.cjs with a V8 code cache in the private cache
// directory: the cache is written once, used after, replaced when V8 rejects it, and never read
// from a directory others can write. The bundle behaves as the ES-module CLI does.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, example } from './osv-cli.js';

const ESM_CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function run(cli: string, args: string[], cacheDir: string) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    env: { ...process.env, OSV_CACHE_DIR: cacheDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const caches = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('cli-code-cache-'));

describe('the code-cached CLI bundle', () => {
  it('writes its code cache once, then runs from it; a damaged cache is replaced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osv-cli-cache-'));
    chmodSync(dir, 0o700);
    expect(run(CLI, ['--version'], dir).status).toBe(0);
    const [cache] = caches(dir);
    expect(cache).toMatch(/^cli-code-cache-\d+-\d+-\d+-\d+\.bin$/);
    const first = statSync(join(dir, cache!));
    expect(first.size).toBeGreaterThan(1000);
    expect(first.mode & 0o077).toBe(0);

    const hello = run(CLI, ['run', example('hello'), 'x'], dir);
    expect(hello).toMatchObject({ status: 0, stdout: 'Hello from osv-ts!\nargv[0] = hello.wasm\nargv[1] = x\n' });
    expect(statSync(join(dir, cache!)).mtimeMs).toBe(first.mtimeMs); // accepted, not rewritten

    writeFileSync(join(dir, cache!), 'not a V8 code cache');
    expect(run(CLI, ['--version'], dir).status).toBe(0);
    expect(statSync(join(dir, cache!)).size).toBeGreaterThan(1000);
  });

  it('reads and writes no cache in a directory that others can write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osv-cli-cache-'));
    const open = join(dir, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const r = run(CLI, ['--version'], open);
    expect(r.status).toBe(0);
    expect(caches(open)).toEqual([]);
  });

  it('answers as the ES-module CLI does: output, status and one-line errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osv-cli-cache-'));
    chmodSync(dir, 0o700);
    run(CLI, ['run', '--dry-run', example('hello')], dir); // composes and caches the kernel both then find
    for (const args of [['--version'], ['run', '--dry-run', example('hello')], ['run', '/no/such.wasm'], ['frob']]) {
      expect(run(CLI, args, dir)).toEqual(run(ESM_CLI, args, dir));
    }
  });
});

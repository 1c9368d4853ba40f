// WASI conformance: C programs from tests/wasi, compiled now with Debian's clang + wasi-libc,
// run under osv-ts and under node:wasi; stdout and exit status must match — except on the
// lines a case lists under `wasmtime`, where node:wasi (uvwasi) differs from wasmtime, the
// reference implementation: there osv-ts must print wasmtime's answer, and node:wasi must
// still print something else (or the entry is stale and the test says so).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO, osv } from './osv-cli.js';

const SOURCES = join(REPO, 'tests', 'wasi');
const out = mkdtempSync(join(tmpdir(), 'wasi-conformance-'));
const NODE_CHILD = fileURLToPath(new URL('./node-wasi-child.mjs', import.meta.url));

function compile(name: string): string {
  const wasm = join(out, name.replace(/\.c$/, '.wasm'));
  execFileSync(
    'clang',
    [
      '--target=wasm32-wasi',
      '--sysroot=/usr',
      '-O2',
      '-Wall',
      '-Werror',
      '-I',
      SOURCES,
      '-o',
      wasm,
      join(SOURCES, name),
    ],
    { stdio: 'pipe' },
  );
  return wasm;
}

function underNode(
  wasm: string,
  args: string[],
  env: Record<string, string>,
): { status: number | null; stdout: string } {
  const root = mkdtempSync(join(tmpdir(), 'wasi-root-'));
  const r = spawnSync(process.execPath, ['--no-warnings', NODE_CHILD, wasm, root, ...args], {
    env: { ...process.env, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [`OSV_ENV_${k}`, v])) },
    input: '',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout.toString() };
}

function underOsv(
  wasm: string,
  args: string[],
  env: Record<string, string>,
): { status: number | null; stdout: string } {
  const name = wasm.split('/').pop()!;
  const quoted = args.map((a) => (/^[\w.-]+$/.test(a) ? a : `"${a}"`)).join(' ');
  const envOpts = Object.entries(env)
    .map(([k, v]) => `--env=${k}=${v}`)
    .join(' ');
  const r = osv(['run', '-e', `${envOpts} ${name} ${quoted}`.trim(), wasm]);
  return { status: r.status, stdout: r.stdout.toString() };
}

interface Case {
  args?: string[];
  env?: Record<string, string>;
  /** Output label → wasmtime's value, for the lines where node:wasi answers differently. */
  wasmtime?: Record<string, string>;
}

// wasmtime refuses every byte-stream call on a directory fd with EBADF (its test
// p1_dir_fd_op_failures); uvwasi checks rights first (ENOTCAPABLE) and lets fd_sync and
// fd_fdstat_set_flags through; wasi-libc's lseek() turns uvwasi's ENOTCAPABLE into ESPIPE.
const DIRECTORY_BYTE_STREAM = [
  'fd_read',
  'fd_write',
  'fd_pread',
  'fd_pwrite',
  'fd_seek set',
  'fd_seek cur',
  'fd_seek end',
  'fd_tell',
  'fd_fdstat_set_flags',
  'fd_sync',
  'fd_datasync',
  'fd_allocate',
  'fd_filestat_set_size',
].map((call) => [`directory: ${call}`, 'EBADF'] as const);

// A path that leaves its directory fd is EPERM in wasmtime (cap-std's escape_attempt,
// p1_interesting_paths); uvwasi answers ENOTCAPABLE — or, as it normalizes paths as text
// before resolving them, lets through what only leaves and comes back ("../cap/in/ok.txt",
// a symlink out and back), clamps ".." at the root preopen ("/../outside/secret") and reads
// "in/up/../.." as "." when "up" is a symlink to "..".
const ESCAPES = [
  '..',
  '../outside/secret',
  'in/../../outside/secret',
  'in/../../..',
  '../cap/in/ok.txt',
  'absolute /outside/secret',
  'absolute /cap/in/ok.txt',
  'absolute /',
  'rel-out',
  'roundtrip',
  'fstatat rel-out',
  'readlinkat ../cap/rel-out',
  'mkdirat ../made',
  'unlinkat ../outside/secret',
  'unlinkat in/up/../../outside/secret',
  'unlinkat rmdir ../outside',
  'renameat out',
  'renameat in',
  'linkat out',
  'linkat in',
  'symlinkat placed outside',
  'openat creat ../new',
  'utimensat ../outside/secret',
  'from in: ../rel-ok',
  'from in: up/rel-ok',
  '/cap/over via /',
  '/../outside/secret',
  'root preopen: absolute /outside/secret',
  'root preopen: ../outside/secret',
  'root preopen: cap/over',
].map((label) => [label, 'EPERM'] as const);

const cases: Record<string, Case> = {
  'files.c': {},
  'dirs.c': {},
  'stat-time.c': {},
  'env-args.c': { args: ['7', 'a b', 'ü'], env: { CONF_VALUE: 'hello' } },
  'rights.c': { wasmtime: Object.fromEntries([...DIRECTORY_BYTE_STREAM, ['lseek() on a directory', 'EBADF']]) },
  'dircaps.c': { wasmtime: Object.fromEntries(ESCAPES) },
};

/** node:wasi's stdout with the `wasmtime` lines replaced by wasmtime's answers. */
function asWasmtimeWould(peer: string, wasmtime: Record<string, string>): string {
  const lines = peer.split('\n');
  for (const [label, value] of Object.entries(wasmtime)) {
    const i = lines.findIndex((l) => l.startsWith(`${label}: `));
    expect(i, `node:wasi printed no "${label}" line`).toBeGreaterThanOrEqual(0);
    expect(lines[i], `node:wasi now agrees with wasmtime on "${label}": drop the entry`).not.toBe(`${label}: ${value}`);
    lines[i] = `${label}: ${value}`;
  }
  return lines.join('\n');
}

describe('WASI conformance against node:wasi', () => {
  it('has a case for every program in tests/wasi', () => {
    expect(
      readdirSync(SOURCES)
        .filter((f) => f.endsWith('.c'))
        .sort(),
    ).toEqual(Object.keys(cases).sort());
  });

  for (const [source, c] of Object.entries(cases)) {
    it(`${source}: same stdout (wasmtime's answer where node:wasi differs) and exit status`, () => {
      const wasm = compile(source);
      const ours = underOsv(wasm, c.args ?? [], c.env ?? {});
      const peer = underNode(wasm, c.args ?? [], c.env ?? {});
      expect(peer.stdout.length).toBeGreaterThan(0);
      expect(ours.stdout).toBe(asWasmtimeWould(peer.stdout, c.wasmtime ?? {}));
      expect(ours.status).toBe(peer.status);
    });
  }
});

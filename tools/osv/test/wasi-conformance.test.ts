// WASI conformance: C programs from tests/wasi, compiled now with Debian's clang + wasi-libc,
// run under osv-ts and under node:wasi; stdout and exit status must match.
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

const cases: Record<string, { args?: string[]; env?: Record<string, string> }> = {
  'files.c': {},
  'dirs.c': {},
  'stat-time.c': {},
  'env-args.c': { args: ['7', 'a b', 'ü'], env: { CONF_VALUE: 'hello' } },
};

describe('WASI conformance against node:wasi', () => {
  it('has a case for every program in tests/wasi', () => {
    expect(
      readdirSync(SOURCES)
        .filter((f) => f.endsWith('.c'))
        .sort(),
    ).toEqual(Object.keys(cases).sort());
  });

  for (const [source, c] of Object.entries(cases)) {
    it(`${source}: same stdout and exit status`, () => {
      const wasm = compile(source);
      const ours = underOsv(wasm, c.args ?? [], c.env ?? {});
      const peer = underNode(wasm, c.args ?? [], c.env ?? {});
      expect(peer.stdout.length).toBeGreaterThan(0);
      expect(ours.stdout).toBe(peer.stdout);
      expect(ours.status).toBe(peer.status);
    });
  }
});

// runWasm() of @osv-ts/osv against node:wasi: the same program, the same options (args, env,
// preopens of host directories, stdio descriptors), the same output, exit code and host files.
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { describe, expect, it } from 'vitest';
import { UsageError, runWasm } from '../src/index.js';
import { example } from './osv-cli.js';

const fsutil = readFileSync(example('fsutil'));

interface Outcome {
  code: number;
  out: string;
  err: string;
  tree: Record<string, string>;
}

function tree(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) Object.assign(out, { [`${prefix}${name}/`]: '' }, tree(p, `${prefix}${name}/`));
    else out[`${prefix}${name}`] = readFileSync(p, 'utf8');
  }
  return out;
}

/** Runs `args` with `run(options)` in a fresh directory preopened at /data; stdio to files. */
function outcome(
  args: string[],
  run: (o: {
    args: string[];
    env: Record<string, string>;
    preopens: Record<string, string>;
    stdout: number;
    stderr: number;
  }) => number,
): Outcome {
  const dir = mkdtempSync(join(tmpdir(), 'osv-runwasm-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'given.txt'), 'from the host\n');
  const outFd = openSync(join(dir, 'out'), 'w');
  const errFd = openSync(join(dir, 'err'), 'w');
  let code: number;
  try {
    code = run({
      args: ['fsutil', ...args],
      env: { LANG: 'C' },
      preopens: { '/data': join(dir, 'data') },
      stdout: outFd,
      stderr: errFd,
    });
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
  return {
    code,
    out: readFileSync(join(dir, 'out'), 'utf8'),
    err: readFileSync(join(dir, 'err'), 'utf8'),
    tree: tree(join(dir, 'data')),
  };
}

const nodeWasi = (args: string[]): Outcome =>
  outcome(args, (o) => {
    const wasi = new WASI({ version: 'preview1', returnOnExit: true, ...o });
    return wasi.start(
      new WebAssembly.Instance(new WebAssembly.Module(fsutil), wasi.getImportObject() as WebAssembly.Imports),
    );
  });
const osvTs = (args: string[], compiled = false): Outcome =>
  outcome(args, (o) => runWasm(compiled ? new WebAssembly.Module(fsutil) : fsutil, o));

const SESSIONS: string[][] = [
  [
    'cat',
    '/data/given.txt',
    ',',
    'write',
    '/data/a.txt',
    'hello',
    ',',
    'append',
    '/data/a.txt',
    ' world',
    ',',
    'cat',
    '/data/a.txt',
  ],
  [
    'mkdir',
    '/data/d',
    ',',
    'write',
    '/data/d/b',
    'x',
    ',',
    'mv',
    '/data/d/b',
    '/data/c',
    ',',
    'ls',
    '/data',
    ',',
    'rmdir',
    '/data/d',
  ],
  ['many', '/data/m', '20', ',', 'rm', '/data/m/f3', ',', 'ls', '/data/m'],
  ['cat', '/data/nope'],
  ['mkdir', '/data/e', ',', 'write', '/data/e/f', 'x', ',', 'rmdir', '/data/e'],
  ['cat', '/etc/passwd'],
];

describe('runWasm() with host preopens, beside node:wasi', () => {
  it.each(SESSIONS.map((s) => [s.join(' '), s] as const))(
    '%s: same output, exit code and host files',
    (_name, args) => {
      const peer = nodeWasi(args);
      const ours = osvTs(args);
      expect(ours).toEqual(peer);
    },
  );

  it('runs a compiled WebAssembly.Module with the same result', () => {
    expect(osvTs(SESSIONS[0]!, true)).toEqual(nodeWasi(SESSIONS[0]!));
  });

  it('refuses a preopen that is not a directory before running anything', () => {
    expect(() => runWasm(fsutil, { preopens: { '/data': '/nonexistent/dir' } })).toThrow(UsageError);
  });
});

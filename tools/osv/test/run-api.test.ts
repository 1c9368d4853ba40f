// run() of @osv-ts/osv: a microVM from a program — output to callbacks, stdin from bytes,
// argv and env as given, the exit code resolved, mistakes as the CLI's UsageError.
import { describe, expect, it } from 'vitest';
import { UsageError, run, runArguments } from '../src/index.js';
import { example } from './osv-cli.js';

const dec = new TextDecoder();

async function boot(app: string, request: Parameters<typeof run>[1] = {}) {
  let out = '';
  let err = '';
  const r = await run(app, {
    ...request,
    stdout: (b) => (out += dec.decode(b)),
    stderr: (b) => (err += dec.decode(b)),
  });
  return { ...r, out, err };
}

describe('run()', () => {
  it('boots the app, gives it argv, env and stdin, and resolves to its exit code', async () => {
    const r = await boot(example('echo-args'), {
      args: ['a b', 'c'],
      env: { GREETING: 'hello world', EMPTY: '' },
      stdin: new TextEncoder().encode('12345'),
    });
    expect(r.err).toBe('');
    expect(r.out).toContain('arg 0: /echo-args.wasm\narg 1: a b\narg 2: c\n');
    expect(r.out).toContain('env: GREETING=hello world\n');
    expect(r.out).toContain('env: EMPTY=\n');
    expect(r.out).toContain('isatty(1): 0\n');
    expect(r.out).toContain('stdin bytes: 5\n');
    expect(r.exitCode).toBe(0);
    expect((await boot(example('exit-status'), { args: ['7'] })).exitCode).toBe(7);
  });

  it('reads end of file on stdin when none is given', async () => {
    expect((await boot(example('echo-args'))).out).toContain('stdin bytes: 0\n');
  });

  it('refuses a bad request with the CLI’s UsageError, before booting', async () => {
    await expect(run(example('hello'), { memory: 'lots' })).rejects.toThrow(UsageError);
    await expect(run(example('hello'), { forwards: ['tcp:1:2'] })).rejects.toThrow(/needs -n/);
  });

  it('maps the request onto osv run’s options', () => {
    expect(runArguments('/x/app.wasm', { args: ['1'], memory: 128 * 1024 * 1024, networking: true })).toEqual([
      '-m',
      '134217728B',
      '--networking',
      '/x/app.wasm',
      '1',
    ]);
    expect(runArguments('/x/app.wasm', { env: { A: 'x y' }, loaderOptions: ['--bootchart'], args: ['q r'] })).toEqual([
      '--file',
      '/app.wasm=/x/app.wasm',
      '-e',
      '--bootchart --env=A=x\\ y /app.wasm "q r"',
    ]);
  });
});

// `osv run` end to end: a real microVM (vCPU worker, virtio-console) per test.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, example, osv, spawn, tempFile, watFile } from './osv-cli.js';

describe('osv run', () => {
  it('runs hello and passes the arguments after the .wasm path to the app', () => {
    const r = osv(['run', example('hello'), 'a', 'b c']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('Hello from osv-ts!\nargv[0] = hello.wasm\nargv[1] = a\nargv[2] = b c\n');
  });

  it("exits with the app's exit status", () => {
    for (const status of [0, 3, 42, 255]) {
      const r = osv(['run', example('exit-status'), String(status)]);
      expect(r.status).toBe(status);
      expect(r.stderr).toBe(`exiting with status ${status}\n`);
    }
  });

  it('keeps stdout and stderr apart', () => {
    const r = osv(['run', example('exit-status'), '0']);
    expect(r.stdout.toString()).toBe('');
    expect(r.stderr).toBe('exiting with status 0\n');
  });

  it('reports a trap clearly with a non-zero status', () => {
    const r = osv(['run', example('trap')]);
    expect(r.status).toBe(134);
    expect(r.stdout.toString()).toBe('about to trap\n');
    expect(r.stderr).toMatch(/trap\.wasm: app trapped: unreachable/);
  });

  it('takes a whole OSv command line with -e and prints the boot chart with --bootchart', () => {
    const r = osv(['run', '-e', '--bootchart hello.wasm x', example('hello')]);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('Hello from osv-ts!\nargv[0] = hello.wasm\nargv[1] = x\n');
    expect(r.stderr).toMatch(/^\tdrivers loaded: \d+\.\d\dms, \(\+\d+\.\d\dms\)$/m);
    expect(r.stderr).toMatch(/\tTotal time: \d+\.\d\dms, \(\+\d+\.\d\dms\)\n$/);
  });

  it('carries binary output byte-exact through virtio-console, across many descriptors', () => {
    // 256 KiB of the byte pattern i*7 mod 256, written in one fd_write.
    const app = watFile(`(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 5)
      (func (export "_start") (local $i i32)
        (loop $fill
          (i32.store8 (i32.add (i32.const 1024) (local.get $i)) (i32.mul (local.get $i) (i32.const 7)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $fill (i32.lt_u (local.get $i) (i32.const 262144))))
        (i32.store (i32.const 0) (i32.const 1024))
        (i32.store (i32.const 4) (i32.const 262144))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`);
    const r = osv(['run', app]);
    expect(r.status).toBe(0);
    const expected = Buffer.alloc(262144);
    for (let i = 0; i < expected.length; i++) expected[i] = (i * 7) & 0xff;
    expect(r.stdout.equals(expected)).toBe(true);
  });

  it('feeds stdin to the app and signals end of input', () => {
    const r = osv(['run', example('echo-args'), 'x'], 'twelve bytes');
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toMatch(/^arg 0: echo-args\.wasm\narg 1: x\n/);
    expect(r.stdout.toString()).toMatch(/stdin bytes: 12\n/);
  });

  it('rejects a bad osv option and a bad memory size with a clear error', () => {
    const a = osv(['run', '--frobnicate', example('hello')]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/unknown option '--frobnicate'/);
    const b = osv(['run', '-m', 'lots', example('hello')]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/invalid memory size 'lots'/);
    const c = osv(['run', '-m', '2M', example('hello')]);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/too small/);
  });

  it("rejects a bad kernel command line on the host, in OSv's words, before it boots", () => {
    const r = osv(['run', '-e', '--no-such-option hello.wasm', example('hello')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('osv: -e: unrecognized option: --no-such-option\n');
  });

  it('refuses a file that is not WebAssembly, and a missing program', () => {
    const notWasm = tempFile('script.wasm', '#!/bin/sh\necho hi\n');
    const a = osv(['run', notWasm]);
    expect(a.status).toBe(126);
    expect(a.stderr).toMatch(/script\.wasm: not a valid WebAssembly module: wasm: magic at offset 0/);
    const b = osv(['run', '-e', '/missing.wasm', example('hello')]);
    expect(b.status).toBe(127);
    expect(b.stderr).toMatch(/Failed to load object: \/missing\.wasm\. Powering off\./);
  });

  it('refuses an app that imports an unknown function, naming it, without hanging', () => {
    const app = watFile(
      '(module (import "wasi_snapshot_preview1" "fd_teleport" (func (param i32) (result i32))) (memory (export "memory") 1) (func (export "_start")))',
    );
    const r = osv(['run', app]);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/unresolved import: wasi_snapshot_preview1\.fd_teleport \(function\)/);
  });

  it('stops a hung guest on Ctrl-C (SIGINT) and leaves no process behind', async () => {
    // Says it is spinning, then spins: the signal comes once the guest runs (on a loaded host
    // a fixed delay could land before osv has booted anything).
    const spin = watFile(`(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "spinning\\n")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 9))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (loop $l (br $l))))`);
    const child = spawn(process.execPath, [CLI, 'run', spin], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(child.exitCode).toBeNull();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 10_000))]);
    expect(code).toBe(130);
    expect(() => process.kill(child.pid!, 0)).toThrow(); // gone
  });

  it('records OSv-style --trace tracepoints in guest RAM and exports them as Chrome trace JSON', () => {
    const out = tempFile('trace.json', '');
    const r = osv(['run', '--trace', 'boot*', '--trace', 'wasi_call', '--trace-out', out, example('exit-status'), '5']);
    expect(r.status).toBe(5);
    const trace = JSON.parse(readFileSync(out, 'utf8')) as {
      traceEvents: { name: string; ph: string; args: Record<string, unknown> }[];
    };
    const stages = trace.traceEvents.filter((e) => e.name === 'boot_stage').map((e) => e.args['arg0']);
    expect(stages).toEqual(expect.arrayContaining(['drivers loaded', 'app loaded', 'Total time']));
    const calls = trace.traceEvents.filter((e) => e.name === 'wasi_call').map((e) => e.args['arg0']);
    expect(calls).toContain('fd_write'); // the message to stderr
    expect(calls).toContain('proc_exit');
    expect(trace.traceEvents.some((e) => e.name === 'sched_switch')).toBe(false); // not enabled
  });

  it('-V names the host stages of the run, in order, from one clock', () => {
    const r = osv(['run', '-V', example('hello')]);
    expect(r.status).toBe(0);
    const line = r.stderr.split('\n').find((l) => l.startsWith('osv: host (since osv started): '));
    expect(line).toBeDefined();
    const stamps = [...line!.matchAll(/(?:: |, )([A-Za-z ]+) (\d+\.\d) ms/g)].map((m) => ({
      name: m[1],
      ms: Number(m[2]),
    }));
    expect(stamps.map((s) => s.name)).toEqual([
      'CLI loaded',
      'command line checked',
      expect.stringMatching(/^kernel (found|composed)$/),
      'machine created',
      'exit',
    ]);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]!.ms).toBeGreaterThanOrEqual(stamps[i - 1]!.ms);
  });

  it('prints the machine with --dry-run and does not start it', () => {
    const r = osv(['run', '--dry-run', '-m', '128M', example('hello')]);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('');
    expect(r.stderr).toMatch(/machine: 128M RAM, 1 vCPU, devices: console0, console1/);
    expect(r.stderr).toMatch(/modules: virtio-console/);
    expect(r.stderr).toMatch(/cmdline: virtio_mmio\.device=4K@0x10000:5 virtio_mmio\.device=4K@0x11000:6 hello\.wasm/);
  });
});

describe('OSv command sources: /init, runscript, --redirect', () => {
  const manifest = (): string => {
    const script = tempFile(
      'run.sh',
      '--env=WHO=script --env=KEEP?=no /echo.wasm $WHO\n/echo.wasm $KEEP ; /echo.wasm third\n',
    );
    const init = tempFile('10-init', '/echo.wasm from-init');
    return tempFile(
      'cmd.manifest',
      [`/echo.wasm: ${example('echo-args')}`, `/init/10-init: ${init}`, `/etc/run.sh: ${script}`, ''].join('\n'),
    );
  };
  const args = (out: string): string[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('arg 1: '))
      .map((l) => l.slice(7));

  it('runs /init files first (unless --noinit) and expands runscript with its --env lines', () => {
    const r = osv(['run', '--manifest', manifest(), '-e', '--env=KEEP=yes runscript /etc/run.sh ; /echo.wasm last']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(args(r.stdout.toString())).toEqual(['from-init', 'script', 'yes', 'third', 'last']);
    const noinit = osv(['run', '--manifest', manifest(), '-e', '--noinit /echo.wasm only']);
    expect(args(noinit.stdout.toString())).toEqual(['only']);
    const bad = osv(['run', '--manifest', manifest(), '-e', 'runscript /etc/missing']);
    expect(bad.stderr).toMatch(/runscript: cannot read \/etc\/missing\. Powering off\./);
    expect(bad.status).not.toBe(0);
  });

  it("--redirect sends every app's stdout and stderr to the file instead of the console", () => {
    const r = osv([
      'run',
      '--manifest',
      manifest(),
      '-e',
      '--noinit --redirect=/tmp/log /echo.wasm one ; /echo.wasm two',
    ]);
    expect(r.stderr).toBe('Writing stdout and stderr to /tmp/log\n');
    expect(r.stdout.toString()).toBe('');
    expect(r.status).toBe(0);
    const appended = osv(['run', '--manifest', manifest(), '-e', '--noinit --redirect=>>/tmp/log /echo.wasm three']);
    expect(appended.stderr).toBe('Appending stdout and stderr to /tmp/log\n');
    expect(appended.stdout.toString()).toBe('');
  });
});

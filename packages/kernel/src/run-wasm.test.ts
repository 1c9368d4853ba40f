// The inprocess target: the same kernel, libc and WASI binding on the caller's thread.
import { describe, expect, it } from 'vitest';
import { wat, writeAndExit } from '../test/wat.js';
import { runWasm } from './run-wasm.js';

function run(wasm: Uint8Array, args: string[] = [], loaderOptions = '') {
  let out = '';
  let err = '';
  const dec = new TextDecoder();
  const status = runWasm(wasm, {
    args: ['/app.wasm', ...args],
    loaderOptions,
    stdout: (b) => (out += dec.decode(b)),
    stderr: (b) => (err += dec.decode(b)),
  });
  return { status, out, err };
}

describe('runWasm (inprocess)', () => {
  it('runs a WASI command and returns its exit status', () => {
    expect(run(writeAndExit('hi\n', 1, 0))).toEqual({ status: 0, out: 'hi\n', err: '' });
    expect(run(writeAndExit('bye\n', 2, 3))).toEqual({ status: 3, out: '', err: 'bye\n' });
  });

  it('passes argv with argv[0] = the app path', () => {
    const argsApp = wat(`(module
      (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "args_get" (func $get (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (drop (call $sizes (i32.const 0) (i32.const 4)))
        (drop (call $get (i32.const 100) (i32.const 1000)))
        ;; write the whole argv buffer (NUL-separated) to stdout
        (i32.store (i32.const 16) (i32.const 1000))
        (i32.store (i32.const 20) (i32.load (i32.const 4)))
        (drop (call $w (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))`);
    expect(run(argsApp, ['a', 'b c']).out).toBe('/app.wasm\0a\0b c\0');
  });

  it('reports a trap with a clear message and status 134', () => {
    const r = run(wat('(module (memory (export "memory") 1) (func (export "_start") unreachable))'));
    expect(r.status).toBe(134);
    expect(r.err).toMatch(/app trapped: unreachable/);
  });

  it('refuses a file that is not wasm, naming the problem', () => {
    const r = run(new TextEncoder().encode('#!/bin/sh\necho hi\n'));
    expect(r.status).toBe(126);
    expect(r.err).toMatch(/not a valid WebAssembly module: wasm: magic/);
  });

  it('refuses an app importing an unknown function, naming it, before running anything', () => {
    const r = run(
      wat(
        '(module (import "wasi_snapshot_preview1" "fd_frobnicate" (func)) (import "env" "mystery" (func)) (func (export "_start")))',
      ),
    );
    expect(r.status).toBe(126);
    expect(r.err).toMatch(
      /unresolved imports: wasi_snapshot_preview1\.fd_frobnicate \(function\), env\.mystery \(function\)/,
    );
  });

  it('turns an out-of-bounds pointer into EFAULT for the app, not a kernel exception', () => {
    // fd_write with an iovec array far outside memory: returns errno 21 (EFAULT) as exit status.
    const app = wat(`(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (call $w (i32.const 1) (i32.const 0x7ffffff0) (i32.const 4) (i32.const 0)))))`);
    expect(run(app).status).toBe(21);
  });

  it('prints the boot chart in OSv format with --bootchart', () => {
    const r = run(writeAndExit('x'), [], '--bootchart');
    expect(r.err).toMatch(/^\tcommand line parsed: \d+\.\d\dms, \(\+\d+\.\d\dms\)$/m);
    expect(r.err).toMatch(/\tTotal time: \d+\.\d\dms, \(\+\d+\.\d\dms\)\n$/);
  });

  it('prints the error and usage for a bad loader option and returns 1', () => {
    const r = run(writeAndExit('x'), [], '--bogus');
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^unrecognized option: --bogus\n\nOSv options:/);
    expect(r.out).toBe('');
  });
});

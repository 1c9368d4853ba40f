// runWasm's node:wasi-shaped options: a compiled WebAssembly.Module, env as an object, argv with
// argv[0], preopens mounted at guest paths (and only they preopened), stdin from a reader.
import { describe, expect, it } from 'vitest';
import { RamFs } from '@osv-ts/vfs';
import { wat, writeAndExit } from '../test/wat.js';
import { runWasm, type RunWasmOptions } from './run-wasm.js';

const dec = new TextDecoder();

function run(program: Uint8Array | WebAssembly.Module, options: RunWasmOptions = {}) {
  let out = '';
  let err = '';
  const status = runWasm(program, {
    ...options,
    stdout: (b) => (out += dec.decode(b)),
    stderr: (b) => (err += dec.decode(b)),
  });
  return { status, out, err };
}

/** Writes the NUL-separated strings that `sizes`/`get` (args_* or environ_*) return to stdout. */
function printVector(sizes: string, get: string): Uint8Array {
  return wat(`(module
    (import "wasi_snapshot_preview1" "${sizes}" (func $sizes (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "${get}" (func $get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "_start")
      (drop (call $sizes (i32.const 0) (i32.const 4)))
      (drop (call $get (i32.const 100) (i32.const 1000)))
      (i32.store (i32.const 16) (i32.const 1000))
      (i32.store (i32.const 20) (i32.load (i32.const 4)))
      (drop (call $w (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))`);
}

// Prints fd 3's preopen name and a line, creates out.txt under fd 3 holding "written\n", reads it
// back to stdout, and exits with fd_prestat_get(4)'s errno (EBADF = 8 when only one is preopened);
// a failed open exits with 100 (create) or 200 (reopen) plus its errno.
const PREOPEN_APP = wat(`(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $pget (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $pname (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $r (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 300) "out.txt")
  (data (i32.const 320) "written\\n")
  (data (i32.const 340) "\\n")
  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $at))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $w (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func (export "_start") (local $e i32)
    (if (call $pget (i32.const 3) (i32.const 0)) (then (call $exit (i32.const 90))))
    (drop (call $pname (i32.const 3) (i32.const 200) (i32.load (i32.const 4))))
    (call $print (i32.const 200) (i32.load (i32.const 4)))
    (call $print (i32.const 340) (i32.const 1))
    ;; path_open(3, 0, "out.txt", O_CREAT|O_TRUNC, fd_read|fd_write, none, 0, &fd at 40)
    (local.set $e (call $open (i32.const 3) (i32.const 0) (i32.const 300) (i32.const 7) (i32.const 9)
          (i64.const 0x42) (i64.const 0) (i32.const 0) (i32.const 40)))
    (if (local.get $e) (then (call $exit (i32.add (i32.const 100) (local.get $e)))))
    (i32.store (i32.const 16) (i32.const 320))
    (i32.store (i32.const 20) (i32.const 8))
    (drop (call $w (i32.load (i32.const 40)) (i32.const 16) (i32.const 1) (i32.const 24)))
    (drop (call $close (i32.load (i32.const 40))))
    (local.set $e (call $open (i32.const 3) (i32.const 0) (i32.const 300) (i32.const 7) (i32.const 0)
          (i64.const 0x42) (i64.const 0) (i32.const 0) (i32.const 40)))
    (if (local.get $e) (then (call $exit (i32.add (i32.const 200) (local.get $e)))))
    (i32.store (i32.const 16) (i32.const 400))
    (i32.store (i32.const 20) (i32.const 64))
    (drop (call $r (i32.load (i32.const 40)) (i32.const 16) (i32.const 1) (i32.const 24)))
    (call $print (i32.const 400) (i32.load (i32.const 24)))
    (call $exit (call $pget (i32.const 4) (i32.const 0)))))`);

describe('runWasm with node:wasi-shaped options', () => {
  it('runs a compiled WebAssembly.Module as it is', () => {
    const module = new WebAssembly.Module(writeAndExit('compiled\n', 1, 4) as Uint8Array<ArrayBuffer>);
    expect(run(module)).toEqual({ status: 4, out: 'compiled\n', err: '' });
  });

  it('refuses a compiled module with a RAM budget, saying to pass its bytes', () => {
    const module = new WebAssembly.Module(writeAndExit('x') as Uint8Array<ArrayBuffer>);
    const r = run(module, { ramBytes: 16 * 1024 * 1024 });
    expect(r.status).toBe(126);
    expect(r.err).toMatch(/compiled WebAssembly\.Module: it cannot be held to the guest RAM budget.*pass its bytes/);
  });

  it('gives the app args as its whole argv, argv[0] included, as node:wasi does', () => {
    expect(run(printVector('args_sizes_get', 'args_get'), { args: ['prog', 'a', 'b c'] }).out).toBe('prog\0a\0b c\0');
    expect(run(printVector('args_sizes_get', 'args_get')).out).toBe('/app.wasm\0');
  });

  it('takes env as an object, after the --env= loader options', () => {
    const r = run(printVector('environ_sizes_get', 'environ_get'), {
      env: { B: 'from env', A: 'x=y' },
      loaderOptions: '--env=A=1 --env=C=3',
    });
    expect(r.out.split('\0').filter(Boolean).sort()).toEqual(['A=x=y', 'B=from env', 'C=3']);
  });

  it('mounts each preopen at its guest path, and preopens only those', () => {
    const r = run(PREOPEN_APP, { preopens: { '/data': new RamFs() } });
    expect(r).toEqual({ status: 8, out: '/data\nwritten\n', err: '' });
  });

  it('preopens several in the order given (fd 3, 4, …)', () => {
    const r = run(PREOPEN_APP, { preopens: { '/mnt/a': new RamFs(), '/b': new RamFs() } });
    expect(r.out).toBe('/mnt/a\nwritten\n');
    expect(r.status).toBe(0); // fd 4 is /b
  });

  it('reads stdin from a reader as the app asks, until it returns 0', () => {
    const cat = wat(`(module
      (import "wasi_snapshot_preview1" "fd_read" (func $r (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 100))
        (i32.store (i32.const 4) (i32.const 3))
        (loop $more
          (drop (call $r (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
          (if (i32.load (i32.const 8))
            (then
              (i32.store (i32.const 20) (i32.const 100))
              (i32.store (i32.const 24) (i32.load (i32.const 8)))
              (drop (call $w (i32.const 1) (i32.const 20) (i32.const 1) (i32.const 12)))
              (br $more))))))`);
    const chunks = ['one', 'two', 'x'];
    const reads: number[] = [];
    const r = run(cat, {
      stdin: (into) => {
        reads.push(into.length);
        const c = chunks.shift();
        if (c === undefined) return 0;
        into.set(new TextEncoder().encode(c));
        return c.length;
      },
    });
    expect(r.out).toBe('onetwox');
    expect(reads).toEqual([3, 3, 3, 3]);
  });
});

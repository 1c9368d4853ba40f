// runWasm() of @osv-ts/osv: node:wasi's options on the osv-ts kernel, inprocess (the caller's
// thread, no worker): `args`, `env`, `preopens` of host directories (served by the same
// confined back-end as osv run --share's virtio-fs), `stdin`/`stdout`/`stderr` as host
// descriptors, `returnOnExit`. The kernel package's own runWasm is isomorphic and takes file
// systems; this one maps Node's world onto it.
import { readSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { DirectFuseSession } from '@osv-ts/drivers-virtio';
import { runWasm as runKernel, type RunWasmOptions } from '@osv-ts/kernel';
import type { KernelModule } from '@osv-ts/kernel-api';
import { VirtioFs, type FileSystem } from '@osv-ts/vfs';
import { NodeFsBackend } from '@osv-ts/vmm';
import { UsageError } from '../cli-error.js';

export interface NodeRunWasmOptions {
  /** The app's whole argv, as node:wasi's (args[0] is the name it sees). */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Guest path → host directory, as node:wasi's preopens. */
  readonly preopens?: Readonly<Record<string, string>>;
  /** Host descriptors (node:wasi's defaults 0, 1, 2), or callbacks for the output. */
  readonly stdin?: number;
  readonly stdout?: number | ((bytes: Uint8Array) => void);
  readonly stderr?: number | ((bytes: Uint8Array) => void);
  /** false: end this process with the app's exit code, as node:wasi does (default true: return it). */
  readonly returnOnExit?: boolean;
  /** Further kernel modules (sockets, …). */
  readonly modules?: KernelModule[];
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function output(to: number | ((bytes: Uint8Array) => void)): (bytes: Uint8Array) => void {
  if (typeof to === 'function') return to;
  return (bytes) => {
    for (let at = 0; at < bytes.length;) {
      try {
        at += writeSync(to, bytes, at, bytes.length - at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        Atomics.wait(sleeper, 0, 0, 1); // a non-blocking descriptor: wait as write(2) would
      }
    }
  };
}

/** Reads a host descriptor as the app reads its stdin: end of file is 0. */
function input(fd: number): (into: Uint8Array) => number {
  return (into) => {
    for (;;) {
      try {
        return readSync(fd, into, 0, into.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EOF') return 0;
        if (code !== 'EAGAIN') throw e;
        Atomics.wait(sleeper, 0, 0, 5); // a non-blocking descriptor (a shared pipe, a TTY)
      }
    }
  };
}

/**
 * Runs a WASI program to its end and returns its exit code (or exits, without returnOnExit).
 * A preopen that is not a directory throws UsageError before anything runs.
 */
export function runWasm(program: Uint8Array | WebAssembly.Module, options: NodeRunWasmOptions = {}): number {
  const backends: NodeFsBackend[] = [];
  const preopens: Record<string, FileSystem> = {};
  try {
    for (const [guest, host] of Object.entries(options.preopens ?? {})) {
      let backend: NodeFsBackend;
      try {
        backend = new NodeFsBackend(resolve(host));
      } catch (e) {
        throw new UsageError(
          `preopens['${guest}']: ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      backends.push(backend);
      preopens[guest] = new VirtioFs(new DirectFuseSession(backend));
    }
    return finish(runKernel(program, kernelOptions(options, options.preopens ? preopens : undefined)), options);
  } finally {
    for (const b of backends) b.close();
  }
}

function finish(code: number, options: NodeRunWasmOptions): number {
  if (options.returnOnExit === false) process.exit(code);
  return code;
}

function kernelOptions(options: NodeRunWasmOptions, preopens: Record<string, FileSystem> | undefined): RunWasmOptions {
  return {
    ...(options.args ? { args: options.args } : {}),
    ...(options.env ? { env: options.env } : {}),
    stdin: input(options.stdin ?? 0),
    stdout: output(options.stdout ?? 1),
    stderr: output(options.stderr ?? 2),
    ...(options.modules ? { modules: options.modules } : {}),
    ...(preopens ? { preopens } : {}),
  };
}

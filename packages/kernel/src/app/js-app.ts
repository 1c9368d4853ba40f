// Runs one JS-module app (docs/architecture.md §1: "a JS module written against @osv-ts/libc") on this
// thread's stack, the way runWasmApp runs a WASI command. `osv run` links the app on the host
// (esbuild: one CommonJS function body, relative imports only, no host or package modules) and
// prefixes JS_APP_HEADER; here it is evaluated synchronously (the guest never awaits, §3) and
// `main(argv, env, libc)` is called with libc's Posix object as the app's only way out: its
// system calls are plain calls into libc over the process's fd table, like a WASI app's.
//
// The host names a Node worker would offer (process, require, Buffer, timers, console) are
// shadowed inside the app's function scope, and console goes to fd 1/2 through libc. This is a
// second line behind the link-time check that rejects every non-relative import; the app still
// runs in the kernel's realm, as an OSv app shares the kernel's address space.
import { KernelError } from '@osv-ts/kernel-api';
import { AddrInfoError, ProcessExit, type Posix } from '@osv-ts/libc';
import { ExitStatus, type AppResult } from './wasm-app.js';

/** First line of a linked JS app in the guest: the format tag and its version. */
export const JS_APP_HEADER = '//osv-ts:js-app 1\n';

/** The signature a JS app exports as default (or as `main`). */
export type JsAppMain = (argv: string[], env: Record<string, string>, libc: Posix) => unknown;

const headerBytes = new TextEncoder().encode(JS_APP_HEADER);

export function isJsApp(program: Uint8Array): boolean {
  if (program.length < headerBytes.length) return false;
  for (let i = 0; i < headerBytes.length; i++) if (program[i] !== headerBytes[i]) return false;
  return true;
}

export interface JsAppOptions {
  /** Called after the app is evaluated, just before main (the end of boot). */
  readonly beforeStart?: () => void;
}

/** The names the app's scope shadows: host facilities a Node worker has and a guest must not. */
const SHADOWED = [
  'process',
  'require',
  'module',
  'exports',
  'Buffer',
  'global',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'console',
] as const;

export function runJsApp(path: string, program: Uint8Array, libc: Posix, options: JsAppOptions = {}): AppResult {
  if (!isJsApp(program))
    return {
      status: ExitStatus.CANNOT_EXECUTE,
      error: `${path}: not a linked JS app (run the .mjs with osv run, which links it)`,
    };
  const code = new TextDecoder().decode(program.subarray(headerBytes.length));
  const module: { exports: Record<string, unknown> | ((...a: unknown[]) => unknown) } = { exports: {} };
  const noTimers = (): never => {
    throw new KernelError(
      38 /* ENOSYS */,
      'timers: a guest app cannot defer work to an event loop; use poll() with a timeout',
    );
  };
  const scope: Record<(typeof SHADOWED)[number], unknown> = {
    process: undefined,
    require: undefined,
    module,
    exports: module.exports,
    Buffer: undefined,
    global: undefined,
    setTimeout: noTimers,
    setInterval: noTimers,
    setImmediate: noTimers,
    clearTimeout: noTimers,
    clearInterval: noTimers,
    clearImmediate: noTimers,
    console: guestConsole(libc),
  };
  let main: JsAppMain;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the app is code by definition
    const body = new Function(...SHADOWED, `"use strict";\n${code}\n//# sourceURL=${path}`) as (
      ...scope: unknown[]
    ) => void;
    body(...SHADOWED.map((n) => scope[n]));
    const e = module.exports;
    const found = typeof e === 'function' ? e : (e['default'] ?? e['main']);
    if (typeof found !== 'function')
      return {
        status: ExitStatus.CANNOT_EXECUTE,
        error: `${path}: the module exports no default function (main(argv, env, libc))`,
      };
    main = found as JsAppMain;
  } catch (e) {
    if (e instanceof SyntaxError) return { status: ExitStatus.CANNOT_EXECUTE, error: `${path}: ${e.message}` };
    return failure(path, e);
  }
  options.beforeStart?.();
  const env: Record<string, string> = {};
  const { env: environ } = libc.process; // the guest Process's KEY=VALUE list
  for (const kv of environ) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  try {
    const result = main([...libc.process.args], env, libc);
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      return {
        status: 1,
        error: `${path}: main returned a Promise: the guest never awaits (system calls block instead), so main must be synchronous`,
      };
    }
    // Like a C main's return value: the low 8 bits are the exit status.
    return { status: typeof result === 'number' && Number.isInteger(result) ? result & 0xff : 0 };
  } catch (e) {
    return failure(path, e);
  }
}

/** An exception out of the app: exit() unwinds with its status; anything else is status 1. */
function failure(path: string, e: unknown): AppResult {
  if (e instanceof ProcessExit) return { status: e.status };
  if (e instanceof KernelError || e instanceof AddrInfoError) return { status: 1, error: `${path}: ${e.message}` };
  if (e instanceof Error) return { status: 1, error: `${path}: uncaught ${e.stack ?? `${e.name}: ${e.message}`}` };
  return { status: 1, error: `${path}: uncaught ${String(e)}` };
}

/** console.log/info/debug → fd 1, console.error/warn → fd 2, through libc. */
function guestConsole(libc: Posix): Record<'log' | 'info' | 'debug' | 'error' | 'warn', (...args: unknown[]) => void> {
  const line =
    (fd: number) =>
    (...args: unknown[]): void => {
      libc.write(fd, `${args.map(format).join(' ')}\n`);
    };
  return { log: line(1), info: line(1), debug: line(1), error: line(2), warn: line(2) };
}

function format(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return v.stack ?? v.message;
  if (typeof v === 'object' && v !== null) {
    try {
      return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
  return String(v);
}

// Runs one JS-module app (docs/architecture.md §1: "a JS module written against @osv-ts/libc") on this
// thread's stack, the way runWasmApp runs a WASI command. `osv run` links the app on the host
// (esbuild: one CommonJS function body, relative imports only, no host or package modules) and
// prefixes JS_APP_HEADER; here it is evaluated synchronously (the guest never awaits, §3) and
// `main(argv, env, libc)` is called with libc's calls as the app's only way out: its system
// calls are plain calls into libc over the process's fd table, like a WASI app's.
//
// The app is evaluated in an SES Compartment (js-app-compartment.ts), not in the kernel's
// scope: its global object has the ECMAScript intrinsics and only these endowments —
//   console            console.log/info/debug → fd 1, error/warn → fd 2, through libc
//   TextEncoder/-Decoder, Date, Math   (the realm's, frozen: a clock and Math.random)
//   setTimeout & co.   throw ENOSYS (there is no event loop to defer to)
// and `libc` is a frozen object of libc's calls bound to the process, not the Posix instance
// (whose fields lead to the VFS and the fd table). Nothing in the compartment reaches a host
// module, `process`, `require`, the worker's global object or a working Function constructor;
// the link-time check that rejects every non-relative import stays as a first, clearer line.
import { KernelError } from '@osv-ts/kernel-api';
import { AddrInfoError, ProcessExit, type Posix } from '@osv-ts/libc';
import { ExitStatus, type AppResult } from './wasm-app.js';
import { JS_APP_HEADER_BYTES, isJsApp } from './js-app-format.js';
import { appCompartment, describeError, hardenForApp } from './js-app-compartment.js';

/** The libc calls a JS app gets (Posix's public methods), bound to its process. */
export const JS_APP_LIBC_CALLS = [
  'open',
  'close',
  'read',
  'write',
  'pread',
  'pwrite',
  'lseek',
  'fstat',
  'stat',
  'lstat',
  'mkdir',
  'rmdir',
  'unlink',
  'rename',
  'link',
  'symlink',
  'readlink',
  'ftruncate',
  'fsync',
  'readdir',
  'dup',
  'dup2',
  'fcntl',
  'pipe',
  'getenv',
  'exit',
  'strerror',
  'socket',
  'bind',
  'listen',
  'accept',
  'accept4',
  'connect',
  'send',
  'sendto',
  'recv',
  'recvfrom',
  'shutdown',
  'setsockopt',
  'getsockopt',
  'getsockname',
  'getpeername',
  'getaddrinfo',
  'poll',
] as const satisfies readonly (keyof Posix)[];

/** What a JS app receives as `libc`: the calls above and the constants. */
export type JsAppLibc = Pick<Posix, (typeof JS_APP_LIBC_CALLS)[number] | 'constants'>;

/** The signature a JS app exports as default (or as `main`). */
export type JsAppMain = (argv: string[], env: Record<string, string>, libc: JsAppLibc) => unknown;

export interface JsAppOptions {
  /** Called after the app is evaluated, just before main (the end of boot). */
  readonly beforeStart?: () => void;
}

/** The names `setTimeout` & co. have in the compartment: each throws ENOSYS. */
const TIMERS = ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'];

export function runJsApp(path: string, program: Uint8Array, libc: Posix, options: JsAppOptions = {}): AppResult {
  if (!isJsApp(program))
    return {
      status: ExitStatus.CANNOT_EXECUTE,
      error: `${path}: not a linked JS app (run the .mjs with osv run, which links it)`,
    };
  const code = new TextDecoder().decode(program.subarray(JS_APP_HEADER_BYTES));
  let main: JsAppMain;
  let appLibc: JsAppLibc;
  try {
    const compartment = appCompartment(path, endowments(libc));
    appLibc = libcFor(libc);
    // The path names the source in stack traces; keep it to characters that cannot end the comment.
    const sourceUrl = path.replace(/[^\w./@+-]/g, '_');
    const body = compartment.evaluate(`(function (module, exports) {\n${code}\n})\n//# sourceURL=${sourceUrl}\n`) as (
      module: { exports: unknown },
      exports: unknown,
    ) => void;
    const module: { exports: unknown } = { exports: {} };
    body(module, module.exports);
    const e = module.exports as Record<string, unknown> | ((...a: unknown[]) => unknown);
    const found = typeof e === 'function' ? e : (e['default'] ?? e['main']);
    if (typeof found !== 'function')
      return {
        status: ExitStatus.CANNOT_EXECUTE,
        error: `${path}: the module exports no default function (main(argv, env, libc))`,
      };
    main = found as JsAppMain;
  } catch (e) {
    // SES refuses sources with import( or HTML comments as SyntaxErrors, as V8 refuses bad syntax.
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
    const result = main([...libc.process.args], env, appLibc);
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

/** The compartment's endowments (see the module header). */
function endowments(libc: Posix): Record<string, unknown> {
  const noTimers = (): never => {
    throw new KernelError(
      38 /* ENOSYS */,
      'timers: a guest app cannot defer work to an event loop; use poll() with a timeout',
    );
  };
  const out: Record<string, unknown> = {
    console: guestConsole(libc),
    TextEncoder,
    TextDecoder,
    Date,
    Math,
  };
  for (const name of TIMERS) out[name] = noTimers;
  return out;
}

/** A frozen object of libc's calls bound to `posix`, and its constants. */
function libcFor(posix: Posix): JsAppLibc {
  const out: Record<string, unknown> = { constants: posix.constants };
  for (const name of JS_APP_LIBC_CALLS) out[name] = (posix[name] as (...a: unknown[]) => unknown).bind(posix);
  return hardenForApp(out) as unknown as JsAppLibc;
}

/** An exception out of the app: exit() unwinds with its status; anything else is status 1. */
function failure(path: string, e: unknown): AppResult {
  if (e instanceof ProcessExit) return { status: e.status };
  if (e instanceof KernelError || e instanceof AddrInfoError) return { status: 1, error: `${path}: ${e.message}` };
  if (e instanceof Error) return { status: 1, error: `${path}: uncaught ${describeError(e)}` };
  return { status: 1, error: `${path}: uncaught ${safeString(e)}` };
}

/** String(v) for a value the app threw or logged, which may be a hostile object. */
function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
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
  if (v instanceof Error) return describeError(v);
  if (typeof v === 'object' && v !== null) {
    try {
      return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
  return safeString(v);
}

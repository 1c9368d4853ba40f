// Programs a kernel module runs when the command line names them, with no file behind the path:
// OSv's `/libhttpserver-api.so &!` (the management API, a shared object OSv's dynamic linker
// loads) is in osv-ts the httpserver-api module's server, which the module starts itself.
import type { Capability } from './capability.js';

export const BUILTIN_PROGRAM_CAPABILITY = 'builtin-program' satisfies Capability;

export interface BuiltinProgram {
  /** The guest paths the command line names it by, e.g. `/libhttpserver-api.so`. */
  readonly paths: readonly string[];
  /**
   * Runs it with the command's words (argv[0] is the path) and returns its exit status; what it
   * says goes to `log` (the kernel's console). It must return soon: a service starts a kernel
   * thread and returns; running() says how long that thread serves.
   */
  run(argv: readonly string[], log: (text: string) => void): number;
  /**
   * Whether what run() started still runs (a server still serving). The kernel waits for it as
   * OSv joins an app: for a foreground command (`;` or the end) before the next one, for `&`
   * after the last; `&!` is never waited for. Absent: nothing to wait for once run() returns.
   */
  running?(): boolean;
}

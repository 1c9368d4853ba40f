// What a shell command works with: the API, the shell's working directory in the guest, and
// where its output goes.
import type { ApiClient } from './api-client.js';

export interface ShellContext {
  readonly api: ApiClient;
  /** The guest directory relative paths resolve against (`cd` changes it). */
  cwd: string;
  out(text: string | Uint8Array): void;
  err(text: string): void;
  /** Whether output goes to a terminal (top redraws the screen only then). */
  readonly tty: boolean;
  /** The terminal's size, for top. */
  readonly rows: number;
  readonly columns: number;
  /** Set when the user pressed Ctrl-C during a long-running command (top). */
  interrupted(): boolean;
  sleep(ms: number): Promise<void>;
}

export interface ShellCommand {
  readonly name: string;
  /** One line for `help`. */
  readonly desc: string;
  readonly usage: string;
  /** Returns the command's exit status (0 ok, 1 failed, 2 usage). */
  run(args: string[], ctx: ShellContext): Promise<number>;
}

/** A command's usage mistake or failure, printed as `NAME: message`. */
export class ShellCommandError extends Error {
  override readonly name = 'ShellCommandError';
  constructor(
    message: string,
    readonly status = 1,
  ) {
    super(message);
  }
}

/** `path` against the shell's cwd, normalised (`.`, `..`, repeated slashes), always absolute. */
export function resolveGuestPath(cwd: string, path: string): string {
  const parts: string[] = [];
  for (const s of (path.startsWith('/') ? path : `${cwd}/${path}`).split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') parts.pop();
    else parts.push(s);
  }
  return `/${parts.join('/')}`;
}

/** Splits `-x` flags (each a letter of `known`) from the operands; `--` ends the flags. */
export function takeFlags(
  command: string,
  args: readonly string[],
  known: string,
): { flags: Set<string>; rest: string[] } {
  const flags = new Set<string>();
  const rest: string[] = [];
  let done = false;
  for (const a of args) {
    if (done || !a.startsWith('-') || a === '-') rest.push(a);
    else if (a === '--') done = true;
    else
      for (const f of a.slice(1)) {
        if (!known.includes(f)) throw new ShellCommandError(`invalid option -- '${f}' (help ${command})`, 2);
        flags.add(f);
      }
  }
  return { flags, rest };
}

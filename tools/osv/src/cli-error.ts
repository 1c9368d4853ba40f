// The osv CLI's one error family. A CliError ends the command with one line on stderr
// (`osv: MESSAGE`) and its exit status: 2 for a usage mistake (a bad option or value, sysexits'
// EX_USAGE as POSIX utilities use 2), 1 for a failure the user can act on (a missing file, a
// full disk, a port in use). Library errors are mapped at the CLI boundary by `toCliError`;
// whatever it does not recognise is a bug in osv (status 70, EX_SOFTWARE).
import { CommandLineError } from '@osv-ts/kernel';
import { FormatError, KernelError } from '@osv-ts/kernel-api';
import {
  CacheDirError,
  CommandLineTooLongError,
  DiskLockError,
  DiskLockedError,
  LayoutError,
  MemorySizeError,
  Qcow2Error,
  TapRelayBuildError,
} from '@osv-ts/vmm';
import { ModuleSelectionError } from './linker/select-modules.js';
import { ProfileError } from './linker/profile.js';
import { ModuleDeclarationError } from './linker/module-catalog.js';
import { JsAppLinkError } from './linker/js-app.js';
import { KernelTrustError } from './linker/image-kernel.js';

export type CliExitStatus = 1 | 2;

export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitStatus: CliExitStatus = 1,
  ) {
    super(message);
  }
}

/** The command was invoked wrongly: an unknown option, a bad value, a missing argument. */
export class UsageError extends CliError {
  override readonly name: string = 'UsageError';
  constructor(message: string) {
    super(message, 2);
  }
}

/** Exit status for a bug in osv itself (sysexits EX_SOFTWARE). */
export const INTERNAL_ERROR_STATUS = 70;

/** Node's system errors (`ENOENT`, `ENOSPC`, …) carry these. */
interface SystemError extends Error {
  readonly code: string;
  readonly syscall: string;
  readonly path?: string;
}

function isSystemError(e: unknown): e is SystemError {
  return (
    e instanceof Error &&
    typeof (e as Partial<SystemError>).code === 'string' &&
    typeof (e as Partial<SystemError>).syscall === 'string'
  );
}

/** `ENOSPC: no space left on device` from a Node system error, without Node's `, open 'x'` tail. */
export function describeSystemError(e: unknown): string {
  if (!isSystemError(e)) return e instanceof Error ? e.message : String(e);
  const detail = /^[A-Z0-9]+: ([^,]*)/.exec(e.message)?.[1];
  return detail ? `${e.code}: ${detail}` : e.code;
}

/** The first line of a message: CLI errors are one line. */
function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line === '' ? text.trim() : line;
}

/**
 * Maps an error that reached the CLI's top level to the CliError it stands for, or undefined
 * when it is a bug. Errors from the libraries that describe bad input (a memory size, a
 * command line, an image's bytes) are the user's; a system error on a named path is the
 * environment's (a full disk, a missing directory) and the user can act on it.
 */
export function toCliError(e: unknown): CliError | undefined {
  if (e instanceof CliError) return e;
  if (
    e instanceof MemorySizeError ||
    e instanceof LayoutError ||
    e instanceof CommandLineError ||
    e instanceof CommandLineTooLongError ||
    e instanceof ProfileError
  )
    return new UsageError(firstLine(e.message));
  if (
    e instanceof ModuleSelectionError ||
    e instanceof ModuleDeclarationError ||
    e instanceof FormatError ||
    e instanceof KernelError ||
    e instanceof Qcow2Error ||
    e instanceof TapRelayBuildError ||
    e instanceof CacheDirError ||
    e instanceof DiskLockedError ||
    e instanceof DiskLockError ||
    e instanceof JsAppLinkError ||
    e instanceof KernelTrustError
  )
    return new CliError(firstLine(e.message));
  if (isSystemError(e) && e.path !== undefined) return new CliError(`${e.path}: ${describeSystemError(e)}`);
  return undefined;
}

/**
 * What the CLI prints and exits with for an error that reached its top level: a CliError's
 * line and status, or for anything else (a bug) one line saying so, with the stack only when
 * `showStack` (-V).
 */
export function failureReport(e: unknown, showStack: boolean): { text: string; status: number } {
  const error = toCliError(e);
  if (error) return { text: `osv: ${error.message}\n`, status: error.exitStatus };
  const message = e instanceof Error ? `${e.name}: ${firstLine(e.message)}` : String(e);
  const text = showStack
    ? `osv: internal error: ${message}\n${e instanceof Error && e.stack ? `${e.stack}\n` : ''}`
    : `osv: internal error: ${message} (run with -V for the stack)\n`;
  return { text, status: INTERNAL_ERROR_STATUS };
}

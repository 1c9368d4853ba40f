// What the CLI prints and exits with when an error reaches its top level: the library errors
// that describe a user's mistake or environment, mapped to CliError (cli-error.ts), and every
// other error reported as a bug. Loaded only when a command fails: it names every library.
import { CommandLineError } from '@osv-ts/kernel/cmdline';
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
import { JsAppLinkError } from './linker/js-app-file.js';
import { KernelTrustError } from './linker/image-kernel.js';

import { CliError, INTERNAL_ERROR_STATUS, UsageError, describeSystemError, isSystemError } from './cli-error.js';

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

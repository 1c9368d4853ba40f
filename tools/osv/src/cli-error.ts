// The osv CLI's one error family. A CliError ends the command with one line on stderr
// (`osv: MESSAGE`) and its exit status: 2 for a usage mistake (a bad option or value, sysexits'
// EX_USAGE as POSIX utilities use 2), 1 for a failure the user can act on (a missing file, a
// full disk, a port in use). Library errors are mapped at the CLI boundary by `toCliError`
// (failure-report.ts); whatever it does not recognise is a bug in osv (status 70, EX_SOFTWARE).
// No imports: every command loads this file, and the CLI loads the libraries a command needs only.
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

export function isSystemError(e: unknown): e is SystemError {
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

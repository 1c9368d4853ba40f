// Host files the CLI reads and writes on the user's behalf, with one-line errors that name the
// option: inputs must be regular files (a FIFO or /dev/zero would hang or eat the disk), and
// outputs are written to a temporary file beside the target and renamed into place, so an
// interrupted or failed build never leaves a partial image where the user asked for one, and
// never replaces an image a VM has open (its disk lock, @osv-ts/vmm's disk-lock.ts).
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { lockImageForReplacement } from '@osv-ts/vmm';
import { CliError, UsageError, describeSystemError } from '../cli-error.js';

/** What a non-regular file is, in ls's words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The contents of `path`, which `what` (e.g. `--file /x`) named. Missing or unreadable: a
 * failure (status 1); not a regular file: refused as a usage mistake (status 2).
 */
export function readRegularFile(path: string, what: string): Uint8Array {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw new CliError(`${what}: cannot read ${path}: ${describeSystemError(e)}`);
  }
  if (!st.isFile()) throw new UsageError(`${what}: ${path} is ${kindOf(st)}, not a regular file`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliError(`${what}: cannot read ${path}: ${describeSystemError(e)}`);
  }
}

/**
 * Checks that `path` can become the output `option` names: its directory exists, and it is not
 * itself a directory or a device (renaming over /dev/null would replace the device node).
 */
export function checkOutputPath(path: string, option: string): void {
  const dir = dirname(path);
  const parent = statSync(dir, { throwIfNoEntry: false });
  if (!parent) throw new CliError(`${option} ${path}: directory ${dir} does not exist`);
  if (!parent.isDirectory()) throw new CliError(`${option} ${path}: ${dir} is not a directory`);
  const target = statSync(path, { throwIfNoEntry: false });
  if (target && !target.isFile()) throw new UsageError(`${option} ${path}: is ${kindOf(target)}, not a regular file`);
}

/** A name beside `path` that no other run uses. */
function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.osv-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Temporary files of outputs in progress, removed if the process is interrupted. */
const pending = new Set<string>();

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function onSignal(signal: NodeJS.Signals): void {
  for (const p of pending) removeQuietly(p);
  pending.clear();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

function watchSignals(on: boolean): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    if (on) process.on(signal, onSignal);
    else process.off(signal, onSignal);
  }
}

/**
 * Writes the output `option` names through `write(tempPath)`, which fills a new file beside
 * `path`; the file is renamed onto `path` only when `write` returned. On an error, or on
 * SIGINT/SIGTERM while `write` runs (it must yield to the event loop now and then for the
 * signal to be seen), the temporary file is removed. Errors writing become one-line CliErrors.
 */
export async function writeAtomically<T>(
  path: string,
  option: string,
  write: (tempPath: string) => T | Promise<T>,
): Promise<T> {
  checkOutputPath(path, option);
  // An image a VM runs from is refused (DiskLockedError: one line naming the VM, status 1), and
  // held against VMs starting on it until the new one is renamed over it.
  const release = lockImageForReplacement(path);
  // Outside the write, Ctrl-C keeps its default action: nothing is on the disk yet.
  watchSignals(true);
  const temp = temporaryPath(path);
  pending.add(temp);
  try {
    try {
      closeSync(openSync(temp, 'wx', 0o644));
    } catch (e) {
      throw new CliError(`${option} ${path}: cannot create a file in ${dirname(path)}: ${describeSystemError(e)}`);
    }
    let result: T;
    try {
      result = await write(temp);
    } catch (e) {
      if (e instanceof CliError || (e as NodeJS.ErrnoException).code === undefined) throw e;
      throw new CliError(`${option} ${path}: ${describeSystemError(e)}`);
    }
    try {
      renameSync(temp, path);
    } catch (e) {
      throw new CliError(`${option} ${path}: ${describeSystemError(e)}`);
    }
    pending.delete(temp);
    return result;
  } finally {
    if (pending.delete(temp)) removeQuietly(temp);
    watchSignals(false);
    release();
  }
}

/** Lets pending signals (SIGINT) run between chunks of a long synchronous write. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

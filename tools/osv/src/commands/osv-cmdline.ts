// The OSv command line, checked on the host before anything boots, with the kernel package's
// own parsers (isomorphic: the code the guest runs), so that a mistake is one line naming the
// option and the byte offset rather than a guest that prints its usage or panics. The checked
// options also tell the linker which modules honour them (--redirect and --cwd act through the
// VFS, --rootfs/--mount-fs through a file system module).
import {
  CommandLineError,
  parseAppCommands,
  parseLoaderOptions,
  splitLoaderCommandLine,
  type LoaderOptions,
} from '@osv-ts/kernel/cmdline';
import { isCapability } from '@osv-ts/kernel-api';
import { UsageError } from '../cli-error.js';
import { NeedList } from '../linker/app-needs.js';
import type { Need } from '../linker/select-modules.js';

export interface CheckedCommandLine {
  readonly options: LoaderOptions;
  /** The program of each command (its first word); `runscript` commands name a script. */
  readonly programs: readonly string[];
}

/** How much of the offending text a message quotes. */
const QUOTE_CHARS = 40;

function quote(text: string): string {
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
}

const byteLength = (text: string): number => new TextEncoder().encode(text).length;

export interface CommandLineSource {
  /** Where the text came from, for parse errors: `-e`, `--kernel-cmdline`, `command line`. */
  readonly name: string;
  /** What made it long, for length errors: `-e`, `hello.wasm and its arguments`. */
  readonly bulk?: string;
  /** The most bytes the machine takes: OSv's 1023 less the VMM's device tokens. */
  readonly maxBytes: number;
}

/**
 * Checks that `cmdline` fits and parses as the kernel will parse it; `fsTypes` are the file
 * systems the linker can provide.
 */
export function checkCommandLine(
  cmdline: string,
  from: CommandLineSource,
  fsTypes: readonly string[],
): CheckedCommandLine {
  const source = from.name;
  const bytes = byteLength(cmdline);
  if (bytes > from.maxBytes)
    throw new UsageError(
      `command line too long (${from.bulk ?? source}): ${bytes} bytes, the most that fits is ${from.maxBytes} (OSv's 1023 less the VMM's device tokens)`,
    );
  const { options: tokens, appCommandLine } = splitLoaderCommandLine(cmdline);
  let options: LoaderOptions;
  try {
    options = parseLoaderOptions(tokens);
  } catch (e) {
    if (!(e instanceof CommandLineError)) throw e;
    throw new UsageError(`${source}: ${e.message}`);
  }
  for (const w of options.warnings)
    if (w.startsWith('Ignoring value'))
      throw new UsageError(`${source}: ${w.replace(/^Ignoring value: /, 'bad value ')}`);
  const known = (type: string, option: string): void => {
    if (!fsTypes.includes(type))
      throw new UsageError(`${source}: ${option}: unknown file system '${type}' (osv-ts has ${fsTypes.join(', ')})`);
  };
  if (options.rootfs !== undefined) known(options.rootfs, `--rootfs=${options.rootfs}`);
  for (const m of options.mountFs) known(m.fsType, `--mount-fs=${m.fsType},${m.source},${m.path}`);
  let programs: string[];
  try {
    programs = parseAppCommands(appCommandLine).map((c) => c.argv[0]!);
  } catch (e) {
    if (!(e instanceof CommandLineError)) throw e;
    if (e.offset === undefined) throw new UsageError(`${source}: ${e.message}`);
    const at = cmdline.length - appCommandLine.length + e.offset;
    const what = e.message.replace(/ at offset \d+ of the command line:.*$/s, '');
    throw new UsageError(`${source}: ${what} at byte ${byteLength(cmdline.slice(0, at))}: ${quote(cmdline.slice(at))}`);
  }
  return { options, programs };
}

/**
 * Capabilities the options need from the kernel: the VFS for --redirect and --cwd, a file
 * system module for each type --rootfs and --mount-fs name, the network stack for --tcplisten.
 */
export function capabilitiesForOptions(o: LoaderOptions): Need[] {
  const needs = new NeedList();
  const fs = (type: string, option: string): void => {
    const cap = `fs:${type}`;
    // checkCommandLine refused file system types no module provides.
    if (isCapability(cap)) needs.add(cap, option);
  };
  if (o.redirect !== undefined) needs.add('vfs', '--redirect');
  if (o.cwd !== undefined) needs.add('vfs', '--cwd');
  if (o.rootfs !== undefined) fs(o.rootfs, `--rootfs=${o.rootfs}`);
  for (const m of o.mountFs) fs(m.fsType, `--mount-fs=${m.fsType},...`);
  if (o.tcplisten.length > 0) needs.add('netstack', `--tcplisten ${o.tcplisten[0]}`);
  return needs.list();
}

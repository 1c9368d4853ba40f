// run(): `osv run` for programs — boot an app in a microVM (the vm-node target) and resolve to
// its exit code, with node:wasi's option names where they mean the same. The request becomes the
// CLI's options, checked by its parser: a mistake is the UsageError `osv run` prints.
import { basename } from 'node:path';
import { quoteAppWord } from '../commands/run-options.js';
import type { ConsoleOutput } from '../commands/host-output.js';
import { JS_APP_FILE } from '../linker/js-app-file.js';

export interface RunRequest {
  /** The arguments after the program (the app sees its guest path, /NAME, as argv[0]). */
  args?: readonly string[];
  /** The app's environment (OSv's --env= loader options). */
  env?: Readonly<Record<string, string>>;
  /** Guest RAM: bytes, or a size such as `128M` (default 64M). */
  memory?: number | string;
  /** Host files put into the guest's root file system: guest path → host path (`--file`). */
  files?: Readonly<Record<string, string>>;
  /** An OSv usr.manifest whose files go into the root file system. */
  manifest?: string;
  /** Disk images attached as vblk0, vblk1, … (`--disk`). */
  disks?: readonly string[];
  /** User-mode networking through passt, with these forwards (`tcp:8080:80`). */
  networking?: boolean;
  forwards?: readonly string[];
  /** OSv loader options put before the app (`--bootchart`, `--mount-fs=…`). */
  loaderOptions?: readonly string[];
  /** A hypervisor profile (default vm-node). */
  profile?: string;
  /** The app's stdin: a host stream, all of it as bytes, or none (end of file; the default). */
  stdin?: NodeJS.ReadableStream | Uint8Array;
  /** Where its stdout and stderr go: a host descriptor (default 1 and 2) or a callback. */
  stdout?: ConsoleOutput;
  stderr?: ConsoleOutput;
  /** Stop the machine on Ctrl-C/SIGTERM of this process (default false: the caller decides). */
  signals?: boolean;
}

export interface RunResult {
  readonly exitCode: number;
}

/** OSv's loader options escape a delimiter with a backslash (core/commands.cc). */
const loaderWord = (s: string): string => s.replace(/[\\ \t\n]/g, (c) => `\\${c}`);

/** The CLI words for running `app` as `request` asks: what `osv run` would be given. */
export function runArguments(app: string, request: RunRequest = {}): string[] {
  const argv: string[] = [];
  const name = `/${basename(app)}`;
  if (request.memory !== undefined)
    argv.push('-m', typeof request.memory === 'number' ? `${request.memory}B` : request.memory);
  for (const [guest, host] of Object.entries(request.files ?? {})) argv.push('--file', `${guest}=${host}`);
  if (request.manifest !== undefined) argv.push('--manifest', request.manifest);
  for (const d of request.disks ?? []) argv.push('--disk', d);
  if (request.networking) argv.push('--networking');
  for (const f of request.forwards ?? []) argv.push('--forward', f);
  if (request.profile !== undefined) argv.push('--profile', request.profile);
  const env = Object.entries(request.env ?? {});
  const options = request.loaderOptions ?? [];
  if (env.length === 0 && options.length === 0) return [...argv, app, ...(request.args ?? [])];
  // Loader options need the whole command line (-e), and the app as a file of the boot fs.
  const cmdline = [
    ...options.map(loaderWord),
    ...env.map(([k, v]) => loaderWord(`--env=${k}=${v}`)),
    [name, ...(request.args ?? [])].map(quoteAppWord).join(' '),
  ].join(' ');
  return [...argv, '--file', `${name}=${app}`, '-e', cmdline];
}

/**
 * Boots `app` (a .wasm, or a JS app) in a microVM and resolves to its exit code when the VM
 * powers off. Throws UsageError for a mistake in the request, CliError for a failure to start.
 */
export async function run(app: string, request: RunRequest = {}): Promise<RunResult> {
  const argv = runArguments(app, request);
  // As the CLI does: the vCPU worker starts (and, for a JS app, locks its realm down) while
  // osv run's code loads and the kernel is found.
  const { VcpuWorker } = await import('@osv-ts/vmm/vcpu-worker');
  const vcpu = VcpuWorker.start({ harden: JS_APP_FILE.test(app) });
  const { runCommand } = await import('../commands/run.js');
  const exitCode = await runCommand(argv, vcpu, {
    stdout: request.stdout ?? 1,
    stderr: request.stderr ?? 2,
    stdin: request.stdin,
    signals: request.signals ?? false,
  });
  return { exitCode };
}

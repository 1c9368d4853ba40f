#!/usr/bin/env node
// The `osv` command: run, build, mkfs. Every user mistake ends in one line on stderr and exit
// status 2 (usage) or 1 (failure) — see cli-error.ts; anything else is a bug in osv and ends
// in status 70 with one line, the stack only under -V.
import { readFileSync } from 'node:fs';
import { UsageError } from './cli-error.js';

// Each command's code (and the libraries it needs: the VMM, esbuild, ZFS…) is loaded only when
// that command runs (issue 14: `osv --help` costs what `node -e 0` costs, give or take).
interface Command {
  run(argv: readonly string[]): number | Promise<number>;
  readonly usage: string;
}

/** A command-line word naming a JS app (linker/js-app-file.ts's JS_APP_FILE, perhaps `=`…). */
const JS_APP_WORD = /\.(mjs|cjs|js|mts|ts)(=|$)/;

/** `osv run` options with which no machine boots: no vCPU worker is started for them. */
const NO_BOOT = new Set(['--dry-run', '-h', '--help', '-d', '--debug']);

/**
 * Each command's loader; `running`: the command is to run with `argv` (not only its usage
 * printed).
 */
const COMMANDS: Record<string, (running: boolean, argv: readonly string[]) => Promise<Command>> = {
  run: async (running, argv) => {
    // The vCPU worker starts before osv run's own code loads, so that Node's worker start-up
    // overlaps all of it (VcpuWorker); a run that boots nothing closes it. A command line that
    // names a JS app (by its file name; a guess: the kernel's modules decide at boot) has the
    // worker lock its realm down meanwhile too, which the js-app module needs (docs/isolation.md).
    const words = running ? (await import('./commands/image-run-options.js')).runOptionWords(argv) : [];
    const boots = running && !words.some((w) => NO_BOOT.has(w));
    const harden = boots && argv.some((w) => JS_APP_WORD.test(w));
    const vcpu = boots ? (await import('@osv-ts/vmm/vcpu-worker')).VcpuWorker.start({ harden }) : undefined;
    const [m, options, image] = await Promise.all([
      import('./commands/run.js'),
      import('./commands/run-options.js'),
      import('./commands/image-run-options.js'),
    ]);
    return { run: (argv) => m.runCommand(argv, vcpu), usage: options.RUN_USAGE + image.IMAGE_RUN_USAGE };
  },
  build: async () => {
    const m = await import('./commands/build.js');
    return { run: m.buildCommand, usage: m.BUILD_USAGE };
  },
  mkfs: async () => {
    const m = await import('./commands/mkfs.js');
    return { run: m.mkfsCommand, usage: m.MKFS_USAGE };
  },
  link: async () => {
    const m = await import('./commands/link.js');
    return { run: m.linkCommand, usage: m.LINK_USAGE };
  },
  profiles: async () => {
    const m = await import('./commands/profiles.js');
    return { run: m.profilesCommand, usage: m.PROFILES_USAGE };
  },
  shell: async () => {
    const m = await import('./commands/shell.js');
    return { run: m.shellCommand, usage: m.SHELL_USAGE };
  },
  trace: async () => {
    const m = await import('./commands/trace.js');
    return { run: m.traceCommand, usage: m.TRACE_USAGE };
  },
  'abi-check': async () =>
    import('./commands/abi-check.js').then((m) => ({ run: m.abiCheckCommand, usage: m.ABI_CHECK_USAGE })),
  serve: async () => {
    const m = await import('./commands/serve.js');
    return { run: m.serveCommand, usage: m.SERVE_USAGE };
  },
};

const USAGE = `usage: osv [-V] <command> [options]
       osv help <command>
       osv --version

commands:
  run     boot a microVM running a WebAssembly app or a disk image (osv run --help)
  build   write a bootable disk image for an app (osv build --help)
  mkfs    write a file system image from a usr.manifest (osv mkfs --help)
  link    print the kernel modules an app gets, why, and their sizes (osv link --help)
  profiles  list the hypervisor profiles a kernel is linked for
  serve   serve a vm-browser site (osv build --profile vm-browser) to a browser
  trace   print a guest's trace (list, summary) or write it as Chrome trace JSON
  shell   OSv's CLI commands against a running guest's REST API (osv shell --help)
  abi-check  the libc symbols a Linux ELF binary needs through its NEEDED closure
  help    print a command's options

options:
  -V, --verbose  print the stack of an internal error (run: also the machine and its counters)
  -h, --help     this text
      --version  print osv's version

exit status: the app's own status for osv run; otherwise 0 on success, 1 when the command
failed (a missing file, a full disk, a port in use), 2 for a usage mistake (a bad option or
value), 70 for an internal error in osv.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const load = command === undefined ? undefined : COMMANDS[command];
  if (load) return (await load(true, rest)).run(rest);
  switch (command) {
    case 'help': {
      const topic = rest[0];
      if (topic === undefined || topic === 'help') {
        process.stdout.write(USAGE);
        return 0;
      }
      const loadTopic = COMMANDS[topic];
      if (loadTopic === undefined)
        throw new UsageError(
          `help: unknown command '${topic}' (commands: run, build, mkfs, link, profiles, serve, shell, trace, abi-check)`,
        );
      process.stdout.write((await loadTopic(false, [])).usage);
      return 0;
    }
    case '-V':
    case '--verbose':
      return main(rest);
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return 0;
    case '--version':
      process.stdout.write(`osv ${version()}\n`);
      return 0;
    case undefined:
      throw new UsageError('no command given (osv --help lists the commands)');
    default:
      throw new UsageError(
        command.startsWith('-')
          ? `unknown option '${command}' (osv --help lists the commands)`
          : `unknown command '${command}' (commands: run, build, mkfs, link, profiles, serve, shell, trace, abi-check; osv --help)`,
      );
  }
}

/** -V before the command, or among the command's own options, asks for internal errors' stacks. */
function wantsStack(argv: readonly string[], runOptionWords: (argv: readonly string[]) => string[]): boolean {
  const verbose = (w: string): boolean => w === '-V' || w === '--verbose';
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) if (verbose(argv[i++]!)) return true;
  const [command, ...rest] = argv.slice(i);
  if (command === 'run') return runOptionWords(rest).some(verbose);
  if (command === 'build' || command === 'mkfs' || command === 'link') return rest.some(verbose);
  return false;
}

function flushAndExit(status: number): void {
  // Let stdout/stderr drain (they may be pipes) before the process ends.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
}

/**
 * The CLI's own output (help text, messages) to a reader that went away ends the command
 * quietly with SIGPIPE's status instead of an 'Unhandled error event' stack.
 */
function exitQuietlyOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(141);
      throw e;
    });
  }
}

const argv = process.argv.slice(2);
exitQuietlyOnClosedOutput();
main(argv).then(flushAndExit, async (e: unknown) => {
  const [{ failureReport }, { runOptionWords }] = await Promise.all([
    import('./failure-report.js'),
    import('./commands/image-run-options.js'),
  ]);
  const report = failureReport(e, wantsStack(argv, runOptionWords));
  process.stderr.write(report.text);
  flushAndExit(report.status);
});

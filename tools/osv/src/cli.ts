#!/usr/bin/env node
// The `osv` command: run, build, mkfs. Every user mistake ends in one line on stderr and exit
// status 2 (usage) or 1 (failure) — see cli-error.ts; anything else is a bug in osv and ends
// in status 70 with one line, the stack only under -V.
import { readFileSync } from 'node:fs';
import { runCommand } from './commands/run.js';
import { BUILD_USAGE, buildCommand } from './commands/build.js';
import { MKFS_USAGE, mkfsCommand } from './commands/mkfs.js';
import { LINK_USAGE, linkCommand } from './commands/link.js';
import { PROFILES_USAGE, profilesCommand } from './commands/profiles.js';
import { SERVE_USAGE, serveCommand } from './commands/serve.js';
import { IMAGE_RUN_USAGE, runOptionWords } from './commands/image-run.js';
import { RUN_USAGE } from './commands/run-options.js';
import { UsageError, failureReport } from './cli-error.js';
import { exitQuietlyOnClosedOutput } from './commands/host-output.js';

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
  help    print a command's options

options:
  -V, --verbose  print the stack of an internal error (run: also the machine and its counters)
  -h, --help     this text
      --version  print osv's version

exit status: the app's own status for osv run; otherwise 0 on success, 1 when the command
failed (a missing file, a full disk, a port in use), 2 for a usage mistake (a bad option or
value), 70 for an internal error in osv.
`;

const COMMAND_USAGE: Record<string, string> = {
  run: RUN_USAGE + IMAGE_RUN_USAGE,
  build: BUILD_USAGE,
  mkfs: MKFS_USAGE,
  link: LINK_USAGE,
  profiles: PROFILES_USAGE,
  serve: SERVE_USAGE,
  help: USAGE,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'build':
      return buildCommand(rest);
    case 'mkfs':
      return mkfsCommand(rest);
    case 'link':
      return linkCommand(rest);
    case 'profiles':
      return profilesCommand(rest);
    case 'serve':
      return serveCommand(rest);
    case 'help': {
      const topic = rest[0];
      if (topic === undefined) {
        process.stdout.write(USAGE);
        return 0;
      }
      const text = COMMAND_USAGE[topic];
      if (text === undefined)
        throw new UsageError(`help: unknown command '${topic}' (commands: run, build, mkfs, link, profiles, serve)`);
      process.stdout.write(text);
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
          : `unknown command '${command}' (commands: run, build, mkfs, link, profiles, serve; osv --help)`,
      );
  }
}

/** -V before the command, or among the command's own options, asks for internal errors' stacks. */
function wantsStack(argv: readonly string[]): boolean {
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

const argv = process.argv.slice(2);
exitQuietlyOnClosedOutput();
main(argv).then(flushAndExit, (e: unknown) => {
  const report = failureReport(e, wantsStack(argv));
  process.stderr.write(report.text);
  flushAndExit(report.status);
});

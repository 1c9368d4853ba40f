#!/usr/bin/env node
// The `osv` command: run (and, as they land, build, mkfs, trace).
import { runCommand } from './commands/run.js';
import { buildCommand } from './commands/build.js';
import { mkfsCommand } from './commands/mkfs.js';
import { UsageError } from './commands/run-options.js';

const USAGE = `usage: osv <command> [options]

commands:
  run     boot a microVM running a WebAssembly app or a disk image (osv run --help)
  build   write a bootable disk image for an app (osv build --help)
  mkfs    write a file system image from a usr.manifest (osv mkfs --help)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'build':
      return buildCommand(rest);
    case 'mkfs':
      return mkfsCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/** Errors that are a refusal, not a usage mistake or a bug: one line, exit 1. */
const FAILURES = new Set(['CacheDirError', 'KernelTrustError']);

function flushAndExit(status: number): void {
  // Let stdout/stderr drain (they may be pipes) before the process ends.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
}

main(process.argv.slice(2)).then(flushAndExit, (e: unknown) => {
  if (
    e instanceof UsageError ||
    (e as Error).name === 'MemorySizeError' ||
    (e as Error).name === 'LayoutError' ||
    (e as Error).name === 'ModuleSelectionError' ||
    (e as Error).name === 'FormatError'
  ) {
    process.stderr.write(`osv: ${(e as Error).message}\n`);
    flushAndExit(2);
  } else if (FAILURES.has((e as Error).name)) {
    process.stderr.write(`osv: ${(e as Error).message}\n`);
    flushAndExit(1);
  } else {
    process.stderr.write(`osv: internal error: ${(e as Error).stack ?? String(e)}\n`);
    flushAndExit(70);
  }
});

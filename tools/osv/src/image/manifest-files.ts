// Reads a usr.manifest (OSv's syntax) into a checked plan (@osv-ts/vfs/manifest's planManifest,
// the one place `run`, `mkfs` and `build` validate manifests): host paths relative to the
// manifest's own directory (OSv's scripts run in the build directory; here the manifest's
// directory plays that role), `%(NAME)s` defines, `/**` trees, `->` symlinks, `!` no-follow.
// Every line is checked before any image is written, and a bad one is one error naming the
// file and line (`usr.manifest:3: …`): status 2 for a mistake in the text (a `..` guest path,
// a path used as file and directory, a FIFO or device as a source), 1 for a source the host
// does not give (missing, unreadable). Warnings go to stderr the same way.
import { dirname, isAbsolute, join } from 'node:path';
import {
  ManifestError,
  ManifestSourceError,
  parseManifest,
  planManifest,
  toBootfsEntries,
  type ManifestPlan,
} from '@osv-ts/vfs/manifest';
import type { BootfsEntry } from '@osv-ts/vfs/bootfs';
import { CliError, UsageError } from '../cli-error.js';
import { readRegularFile } from './host-files.js';
import { nodeHostFs } from './node-host-fs.js';

export function readManifest(
  path: string,
  defines: Record<string, string> = {},
  warn: (line: string) => void = (line) => void process.stderr.write(line),
): ManifestPlan {
  const text = new TextDecoder().decode(readRegularFile(path, 'manifest'));
  const base = dirname(path);
  const rebase = (host: string): string => {
    if (host.startsWith('->')) return host;
    const bang = host.startsWith('!') ? '!' : '';
    const h = bang ? host.slice(1) : host;
    return bang + (isAbsolute(h) ? h : join(base, h));
  };
  try {
    const lines = parseManifest(text, defines).map((l) => ({ ...l, host: rebase(l.host) }));
    const plan = planManifest(lines, nodeHostFs);
    for (const w of plan.warnings) warn(`osv: ${path}:${w.line}: warning: ${w.message}\n`);
    return plan;
  } catch (e) {
    throw asCliError(path, e);
  }
}

/**
 * Runs `write` (an image writer reading the plan's files), turning a ManifestError (a file
 * that vanished or became a symlink since the plan) into the same one-line error.
 */
export function writingFrom<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    throw asCliError(path, e);
  }
}

function asCliError(path: string, e: unknown): unknown {
  if (!(e instanceof ManifestError)) return e;
  const message = `${path}:${e.line > 0 ? `${e.line}:` : ''} ${e.detail}`;
  return e instanceof ManifestSourceError ? new CliError(message) : new UsageError(message);
}

/** A manifest's files as boot file system entries (osv run --manifest), with their plan. */
export function manifestBootfsEntries(path: string): { plan: ManifestPlan; entries: BootfsEntry[] } {
  const plan = readManifest(path);
  return { plan, entries: writingFrom(path, () => toBootfsEntries(plan, nodeHostFs)) };
}

// Reads a usr.manifest (OSv's syntax) into a checked plan (@osv-ts/vfs/manifest's planManifest,
// the one place `run`, `mkfs` and `build` validate manifests): host paths relative to the
// manifest's own directory (OSv's scripts run in the build directory; here the manifest's
// directory plays that role), `%(NAME)s` defines, `/**` trees, `->` symlinks, `!` no-follow.
// A bad line is one error naming the file and line (`usr.manifest:3: …`); warnings go to
// stderr the same way.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ManifestError, parseManifest, planManifest, type ManifestPlan } from '@osv-ts/vfs/manifest';
import { UsageError } from '../commands/run-options.js';
import { nodeHostFs } from './node-host-fs.js';

export function readManifest(
  path: string,
  defines: Record<string, string> = {},
  warn: (line: string) => void = (line) => void process.stderr.write(line),
): ManifestPlan {
  const base = dirname(path);
  const rebase = (host: string): string => {
    if (host.startsWith('->')) return host;
    const bang = host.startsWith('!') ? '!' : '';
    const h = bang ? host.slice(1) : host;
    return bang + (isAbsolute(h) ? h : join(base, h));
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read manifest ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const lines = parseManifest(text, defines).map((l) => ({ ...l, host: rebase(l.host) }));
    const plan = planManifest(lines, nodeHostFs);
    for (const w of plan.warnings) warn(`osv: ${path}:${w.line}: warning: ${w.message}\n`);
    return plan;
  } catch (e) {
    throw asUsageError(path, e);
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
    throw asUsageError(path, e);
  }
}

function asUsageError(path: string, e: unknown): unknown {
  if (e instanceof ManifestError) return new UsageError(`${path}:${e.line > 0 ? `${e.line}:` : ''} ${e.detail}`);
  return e;
}

// Reads a usr.manifest (OSv's syntax) into resolved entries: host paths relative to the
// manifest's own directory (OSv's scripts run in the build directory; here the manifest's
// directory plays that role), `%(NAME)s` defines, `/**` globs, `->` symlinks, `!` no-follow.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parseManifest, resolveManifest, type ManifestEntry } from '@osv-ts/vfs/manifest';
import { nodeHostFs } from './node-host-fs.js';

export function readManifest(path: string, defines: Record<string, string> = {}): ManifestEntry[] {
  const base = dirname(path);
  const rebase = (host: string): string => {
    if (host.startsWith('->')) return host;
    const bang = host.startsWith('!') ? '!' : '';
    const h = bang ? host.slice(1) : host;
    return bang + (isAbsolute(h) ? h : join(base, h));
  };
  const lines = parseManifest(readFileSync(path, 'utf8'), defines).map((l) => ({
    guest: l.guest,
    host: rebase(l.host),
  }));
  return resolveManifest(lines, nodeHostFs);
}

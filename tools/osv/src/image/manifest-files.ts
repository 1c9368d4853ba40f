// Reads a usr.manifest (OSv's syntax) into resolved entries: host paths relative to the
// manifest's own directory (OSv's scripts run in the build directory; here the manifest's
// directory plays that role), `%(NAME)s` defines, `/**` globs, `->` symlinks, `!` no-follow.
// Every host source is checked as the line is read, so a mistake is named by its line
// (`usr.manifest:3: …`) before any image is written: it must exist, and be a regular file,
// a directory or a symlink (a FIFO or a device would hang the build or never end).
import { dirname, isAbsolute, join } from 'node:path';
import { FormatError } from '@osv-ts/kernel-api';
import { parseManifest, resolveManifest, type ManifestEntry, type ManifestLine } from '@osv-ts/vfs/manifest';
import { CliError, UsageError } from '../cli-error.js';
import { readRegularFile } from './host-files.js';
import { nodeHostFs } from './node-host-fs.js';

export function readManifest(path: string, defines: Record<string, string> = {}): ManifestEntry[] {
  const text = new TextDecoder().decode(readRegularFile(path, 'manifest'));
  let lines: ManifestLine[];
  try {
    lines = parseManifest(text, defines);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    throw new UsageError(`${path}: ${e.message}`);
  }
  const base = dirname(path);
  const rebase = (host: string): string => {
    if (host.startsWith('->')) return host;
    const bang = host.startsWith('!') ? '!' : '';
    const h = bang ? host.slice(1) : host;
    return bang + (isAbsolute(h) ? h : join(base, h));
  };
  const out: ManifestEntry[] = [];
  for (const l of lines) {
    const line = { guest: l.guest, host: rebase(l.host) };
    const where = `${path}:${l.line}: ${l.host}`;
    // Expansion is per line (a glob names one directory), so each line resolves on its own.
    if (line.guest.endsWith('/**') && line.host.endsWith('/**')) {
      const top = line.host.slice(0, -3);
      const kind = nodeHostFs.stat(top);
      if (kind === undefined) throw new CliError(`${where}: no such directory ${top}`);
      if (kind !== 'dir') throw new UsageError(`${where}: ${top} is not a directory`);
    }
    for (const e of resolveManifest([line], nodeHostFs)) {
      if (e.host.startsWith('->')) {
        out.push(e);
        continue;
      }
      const host = e.host.replace(/^!/, '');
      const own = nodeHostFs.lstat(host);
      if (own === undefined)
        throw new CliError(`${where}: no such file or directory${host !== l.host ? ` (${host})` : ''}`);
      // A symlink the manifest keeps is copied as a link; anything else is read as a file.
      const kind = own === 'symlink' ? 'symlink' : nodeHostFs.stat(host);
      if (kind === 'other') throw new UsageError(`${where}: ${host} is not a regular file, a directory or a symlink`);
      out.push(e);
    }
  }
  return out;
}

// Expands manifest lines into (guest, host) pairs the way manifest_common.py's expand() and
// unsymlink() do, with host access through HostFs, except where OSv would copy what a symlink
// points to without being asked (issue 13):
//  - "/g/**: host/dir/**" adds everything under host/dir at the same relative path under /g/,
//    top-down as os.walk (a directory's entries in host order, then its subdirectories). Each
//    entry carries its lstat kind: a symlink found in the tree is a symlink, never followed
//    (OSv follows it, so a link to /etc/shadow copied the host's file); directories, empty ones
//    too, are entries (OSv keeps only the files);
//  - "/prefix/&/rest: host/dir/&" is "/prefix/rest: host/dir/rest";
//  - a host path named on its own line is resolved as unsymlink() does (recursively; an
//    absolute target is looked for under each ancestor of the link's directory), except
//    "!path" (kept as the link itself) and "->target" (a literal symlink).
import type { HostFileKind, HostFs } from './host-fs.js';
import { ManifestError, ManifestSourceError } from './manifest-error.js';
import type { ManifestLine } from './manifest-parser.js';

export interface ExpandedEntry {
  readonly guest: string;
  /** A host path, "!path" or "->TARGET" as on the line; a tree entry's own host path. */
  readonly host: string;
  /** The manifest line it came from. */
  readonly line: number;
  /** Set for entries found by walking a "/**" tree: the tree's top and the entry's lstat kind. */
  readonly tree?: { readonly top: string; readonly kind: HostFileKind };
}

/** Python os.path.dirname. */
export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '';
  const head = p.slice(0, i + 1);
  return /^\/+$/.test(head) ? head : head.replace(/\/+$/, '');
}

function join(a: string, b: string): string {
  return a === '' || a.endsWith('/') ? a + b : `${a}/${b}`;
}

export function* expandManifest(lines: Iterable<ManifestLine>, host: HostFs): Generator<ExpandedEntry> {
  for (const { guest, host: hostPath, line } of lines) {
    if (guest.endsWith('/**') && hostPath.endsWith('/**')) {
      const name = guest.slice(0, -2);
      const top = hostPath.slice(0, -2);
      const topKind = host.stat(top);
      if (topKind !== 'dir') {
        const what = `${hostPath}: ${top === '' ? 'the current directory' : top}`;
        if (topKind === undefined) throw new ManifestSourceError(line, `${what} is missing`);
        throw new ManifestError(line, `${what} is not a directory`);
      }
      // The tree's own directory, so that an empty tree still gives its guest directory.
      yield { guest: name === '/' ? '/' : name.slice(0, -1), host: top, line, tree: { top, kind: 'dir' } };
      yield* walk(host, top, top, name, line);
    } else if (guest.includes('/&/') && hostPath.endsWith('/&')) {
      const i = guest.indexOf('/&/');
      const prefix = guest.slice(0, i);
      const suffix = guest.slice(i + 3);
      yield { guest: `${prefix}/${suffix}`, host: hostPath.slice(0, -1) + suffix, line };
    } else {
      yield { guest, host: hostPath, line };
    }
  }
}

/** os.walk(dir) top-down, classifying by lstat: only real directories are descended. */
function* walk(host: HostFs, top: string, dir: string, guestDir: string, line: number): Generator<ExpandedEntry> {
  let names: string[];
  try {
    names = host.readdir(dir);
  } catch (e) {
    throw new ManifestSourceError(line, `cannot list ${dir}: ${(e as Error).message}`);
  }
  const rel = dir.slice(top.length);
  const prefix = rel === '' ? guestDir : `${guestDir}${rel.replace(/^\/+/, '')}/`;
  const dirs: string[] = [];
  for (const n of names) {
    const path = join(dir, n);
    const kind = host.lstat(path);
    if (kind === undefined) continue; // removed while we walked
    if (kind === 'dir') dirs.push(n);
    else yield { guest: prefix + n, host: path, line, tree: { top, kind } };
  }
  for (const d of dirs) {
    const path = join(dir, d);
    yield { guest: prefix + d, host: path, line, tree: { top, kind: 'dir' } };
    yield* walk(host, top, path, guestDir, line);
  }
}

/** manifest_common.py unsymlink(): the host path a manifest entry really refers to. */
export function unsymlink(host: HostFs, f: string, depth = 0): string {
  if (f.startsWith('!')) return f.slice(1);
  if (f.startsWith('->')) return f;
  // Python recurses until a RecursionError, which the script's `except Exception` turns into
  // "keep this path"; a bounded depth gives the same kind of answer without the stack.
  if (depth > 64 || host.lstat(f) !== 'symlink') return f;
  let link: string;
  try {
    link = host.readlink(f);
  } catch {
    return f;
  }
  let base: string;
  if (link.startsWith('/')) {
    base = dirname(f);
    while (host.stat(base + link) === undefined) {
      if (base === '/') return f;
      const up = dirname(base);
      if (up === base) return f; // a relative path with no directory left (the script loops forever)
      base = up;
    }
  } else {
    base = dirname(f) + '/';
  }
  return unsymlink(host, base + link, depth + 1);
}

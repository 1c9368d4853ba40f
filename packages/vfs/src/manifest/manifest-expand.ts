// Expands manifest lines into (guest, host) pairs the way manifest_common.py's expand() and
// unsymlink() do, with host access through HostFs:
//  - "/g/**: host/dir/**" adds every non-directory under host/dir (os.walk, top-down: a
//    directory's files in host order, then its subdirectories; symlinks to directories are
//    listed as names but not descended into) at the same relative path under /g/;
//  - "/prefix/&/rest: host/dir/&" is "/prefix/rest: host/dir/rest";
//  - host paths that are symlinks are replaced by what they point to (recursively; an absolute
//    target is looked for under each ancestor of the link's directory, as the script does),
//    except "!path" (kept as the link itself) and "->target" (a literal symlink).
import type { HostFs } from './host-fs.js';
import type { ManifestLine } from './manifest-parser.js';

export interface ManifestEntry {
  readonly guest: string;
  /** A host path, or "->TARGET" for a literal symlink. */
  readonly host: string;
}

/** Python os.path.dirname. */
function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '';
  const head = p.slice(0, i + 1);
  return /^\/+$/.test(head) ? head : head.replace(/\/+$/, '');
}

function join(a: string, b: string): string {
  return a === '' || a.endsWith('/') ? a + b : `${a}/${b}`;
}

export function* expandManifest(lines: Iterable<ManifestLine | ManifestEntry>, host: HostFs): Generator<ManifestEntry> {
  for (const { guest, host: hostPath } of lines) {
    if (guest.endsWith('/**') && hostPath.endsWith('/**')) {
      const name = guest.slice(0, -2);
      const top = hostPath.slice(0, -2);
      for (const [dirpath, filenames] of walk(host, top)) {
        let rel = dirpath.slice(top.length);
        if (rel !== '') rel += '/';
        for (const f of filenames) yield { guest: name + rel + f, host: top + rel + f };
      }
    } else if (guest.includes('/&/') && hostPath.endsWith('/&')) {
      const i = guest.indexOf('/&/');
      const prefix = guest.slice(0, i);
      const suffix = guest.slice(i + 3);
      yield { guest: `${prefix}/${suffix}`, host: hostPath.slice(0, -1) + suffix };
    } else {
      yield { guest, host: hostPath };
    }
  }
}

/** os.walk(top) top-down without following directory symlinks: [dirpath, filenames] pairs. */
function* walk(host: HostFs, top: string): Generator<[string, string[]]> {
  if (host.stat(top) !== 'dir') return;
  let names: string[];
  try {
    names = host.readdir(top);
  } catch {
    return; // os.walk ignores unreadable directories
  }
  const dirs: string[] = [];
  const files: string[] = [];
  for (const n of names) (host.stat(join(top, n)) === 'dir' ? dirs : files).push(n);
  yield [top, files];
  for (const d of dirs) {
    const p = join(top, d);
    if (host.lstat(p) !== 'symlink') yield* walk(host, p);
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

/** Expansion followed by unsymlink of every host path, as the image scripts do. */
export function resolveManifest(lines: Iterable<ManifestLine | ManifestEntry>, host: HostFs): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (const e of expandManifest(lines, host)) out.push({ guest: e.guest, host: unsymlink(host, e.host) });
  return out;
}

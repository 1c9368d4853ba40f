// The one place a manifest is checked (issue 13: "manifests take exactly what they name"):
// every guest path, every host path and every pair of lines that disagree, before any image is
// written. `osv run --manifest`, `osv mkfs rofs|zfs` and `osv build` all write from the plan.
//
// Rules (OSv's scripts/manifest_common.py and gen-rofs-img.py, shared/reference/
// osv-manifest-and-build.md §1, with the changes marked *):
//  - guest paths are absolute, of plain names (guest-path.ts) *: ".", "..", empty components
//    are errors naming the line, where OSv writes entries named ".." or "";
//  - "->T" is a symlink with target T; "!path" keeps a host symlink as a symlink;
//  - a host path named on its own line follows symlinks as unsymlink() does: the line names it,
//    and that is OSv's way of asking for the content. When the link leads out of the directory
//    the line named it in, a warning with the line number says so *; a dangling link is kept as
//    a link (as OSv does);
//  - in a "/**" tree, symlinks stay symlinks with the host link's target text * (OSv copies
//    what they point to): to copy a target's content instead, name the link on a line of its
//    own after the tree (a later line wins). Entries in a tree are read with O_NOFOLLOW;
//  - host paths that are not regular files, directories or symlinks (FIFOs, sockets, devices)
//    are errors *: reading one would block or never end;
//  - the same guest path on two lines: the later wins in the first one's place, as OSv's
//    dict; but a path used as a file (or symlink) on one line and as a directory on another,
//    explicitly or as another path's parent, is an error naming both lines *.
import type { HostFs } from './host-fs.js';
import { ManifestError, ManifestSourceError, type ManifestWarning } from './manifest-error.js';
import { dirname, expandManifest, unsymlink, type ExpandedEntry } from './manifest-expand.js';
import type { ManifestLine } from './manifest-parser.js';
import { guestPathComponents } from './guest-path.js';

export type PlannedNode =
  | {
      readonly kind: 'file';
      /** The host file to read (symlinks already resolved for a line that named one). */
      readonly host: string;
      /** Read with O_NOFOLLOW: the file was found in a tree and must still be a regular file. */
      readonly noFollow: boolean;
    }
  | { readonly kind: 'dir' }
  | { readonly kind: 'symlink'; readonly target: string };

export interface PlannedEntry {
  /** Normalised absolute guest path ("/" is the root). */
  readonly guest: string;
  readonly line: number;
  readonly node: PlannedNode;
}

export interface ManifestPlan {
  /** One entry per guest path, in the order each path first appeared, with the last line's node. */
  readonly entries: readonly PlannedEntry[];
  readonly warnings: readonly ManifestWarning[];
}

interface Claim {
  readonly dir: boolean;
  readonly line: number;
}

/** Expands, resolves and checks `lines`; throws ManifestError naming the first bad line. */
export function planManifest(lines: Iterable<ManifestLine>, host: HostFs): ManifestPlan {
  const entries = new Map<string, PlannedEntry>();
  const claims = new Map<string, Claim>([['/', { dir: true, line: 0 }]]);
  const warnings: ManifestWarning[] = [];

  const claim = (path: string, dir: boolean, line: number, as: string): void => {
    const prior = claims.get(path);
    if (prior && prior.dir !== dir) {
      const was = prior.dir ? 'a directory' : 'a file';
      const where = prior.line > 0 ? `line ${prior.line}` : 'the image root';
      throw new ManifestError(
        line,
        `${as}: ${path} is ${was} (${where}) and cannot also be ${dir ? 'a directory' : 'a file'}`,
      );
    }
    if (!prior) claims.set(path, { dir, line });
  };

  for (const e of expandManifest(lines, host)) {
    const parsed = guestPathComponents(e.guest);
    if ('error' in parsed) throw new ManifestError(e.line, parsed.error);
    const guest = '/' + parsed.components.join('/');
    const node = resolve(e, host, warnings);
    if (node === undefined) continue;
    let parent = '';
    for (const c of parsed.components.slice(0, -1)) {
      parent += '/' + c;
      claim(parent, true, e.line, guest);
    }
    if (guest === '/' && node.kind !== 'dir') throw new ManifestError(e.line, '/: the image root must be a directory');
    claim(guest, node.kind === 'dir', e.line, guest);
    const prior = entries.get(guest);
    // A later line wins; Map.set keeps the first line's place (OSv's dict order).
    if (!prior || node.kind !== 'dir' || prior.node.kind !== 'dir') entries.set(guest, { guest, line: e.line, node });
  }
  return { entries: [...entries.values()], warnings };
}

/** What one expanded entry puts in the image; undefined for lines OSv's writers skip. */
function resolve(e: ExpandedEntry, host: HostFs, warnings: ManifestWarning[]): PlannedNode | undefined {
  const h = e.host;
  if (h.startsWith('->')) {
    const target = h.slice(2);
    if (target === '') throw new ManifestError(e.line, `${e.guest}: "->" needs a symlink target`);
    return { kind: 'symlink', target };
  }
  if (e.tree) {
    switch (e.tree.kind) {
      case 'dir':
        return { kind: 'dir' };
      case 'file':
        return { kind: 'file', host: h, noFollow: true };
      case 'symlink':
        return { kind: 'symlink', target: host.readlink(h) };
      default:
        throw new ManifestError(e.line, `${h}: not a regular file, directory or symlink (found in ${e.tree.top}**)`);
    }
  }
  if (h.startsWith('!')) {
    const path = h.slice(1);
    const kind = host.lstat(path);
    if (kind === 'symlink') return { kind: 'symlink', target: host.readlink(path) };
    return plain(e, path, kind);
  }
  const real = unsymlink(host, h);
  const kind = host.lstat(real);
  // A link unsymlink() could not resolve: OSv's writers store it as a link.
  if (kind === 'symlink') return { kind: 'symlink', target: host.readlink(real) };
  if (real !== h && kind !== undefined) {
    const from = host.realpath(dirname(h) || '.');
    const to = host.realpath(real);
    if (from !== undefined && to !== undefined && !within(to, from))
      warnings.push({
        line: e.line,
        message: `${e.guest}: ${h} is a symlink that leads out of ${dirname(h) || '.'} to ${to}; its content is copied (write !${h} to keep the link)`,
      });
  }
  return plain(e, real, kind);
}

function plain(e: ExpandedEntry, path: string, kind: ReturnType<HostFs['lstat']>): PlannedNode | undefined {
  if (kind === undefined) throw new ManifestSourceError(e.line, `${e.guest}: host path ${path} does not exist`);
  if (kind === 'dir') return { kind: 'dir' };
  if (kind !== 'file')
    throw new ManifestError(e.line, `${e.guest}: ${path} is not a regular file, directory or symlink`);
  return { kind: 'file', host: path, noFollow: false };
}

function within(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(dir + '/');
}

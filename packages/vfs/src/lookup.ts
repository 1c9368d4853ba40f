// Path resolution (OSv fs/vfs/vfs_lookup.c namei/lookup, with Linux's path_walk rules where
// OSv is looser). Walks one component at a time from a start vnode, never re-resolving a
// textual prefix: each step holds the vnode reached so far, so a symlink swapped between
// steps can only change what the *remaining* components resolve to, and those are checked
// against the sandbox root like any other. Rules:
//  - "" -> ENOENT; path >= PATH_MAX bytes or a component > NAME_MAX bytes -> ENAMETOOLONG;
//  - a non-directory with more components after it (or a trailing "/") -> ENOTDIR;
//  - ".." at the lookup's root stays there (POSIX) or, with a 'beneath' sandbox, is an escape;
//    ".." at a mount's root moves to the covered directory's parent (mount crossing);
//  - entering a covered directory moves to the root of the mount on it;
//  - symlinks: intermediate ones are always followed, the final one when `follow` is set or
//    the path ends in "/"; more than MAX_SYMLINKS expansions -> ELOOP; an absolute target
//    restarts at the lookup's root ('in-root' and 'beneath-links-in-root' confine it,
//    'beneath' rejects it).
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { MAX_SYMLINKS, NAME_MAX, PATH_MAX } from './open-flags.js';
import { SandboxEscapeError } from './sandbox-escape-error.js';
import type { Vnode } from './vnode.js';
import { VType } from './vtype.js';

export interface LookupOptions {
  /** Directory relative paths start from (the *at() dirfd, or the cwd). Default: the root. */
  at?: Vnode;
  /** The lookup's root: absolute paths start here and ".." never goes above it. Default: the
   *  VFS root, or `at` when `sandbox` is set. */
  root?: Vnode;
  /**
   * Confinement to `root` (WASI directory fds):
   *  - 'in-root': like chroot, ".." at the root stays there and absolute paths and absolute
   *    symlink targets resolve against the root (openat2 RESOLVE_IN_ROOT);
   *  - 'beneath': any attempt to leave — ".." above the root, an absolute path, an absolute
   *    symlink — throws SandboxEscapeError (openat2 RESOLVE_BENEATH);
   *  - 'beneath-links-in-root': as 'beneath', except that an absolute symlink target restarts
   *    at the root. It confines nothing the root does not already confine, so it is meant for
   *    a root that is the top of its namespace (the VM's "/", whose image holds links written
   *    for that namespace).
   * One property with three values rather than a second option: every lookup's options keep
   * the few shapes the hot path is compiled for.
   */
  sandbox?: 'beneath' | 'in-root' | 'beneath-links-in-root';
  /** Follow a symlink in the final component (stat vs lstat). Default true. */
  follow?: boolean;
}

/** Where a lookup ended: the final component's directory and name, and the vnode if it exists. */
export interface Resolved {
  /** Directory holding the final component. */
  readonly parent: Vnode;
  /** Final component: a plain name, "." / ".." when the path ended in one, "/" when it had none. */
  readonly name: string;
  /** The object the path names; undefined when only the final component is missing. */
  readonly vnode: Vnode | undefined;
  /** The path ended in "/": the object must be (or be created as) a directory. */
  readonly mustBeDir: boolean;
}

const encoder = new TextEncoder();

function byteLength(s: string): number {
  // Every UTF-16 unit is at most 3 UTF-8 bytes; skip the encode when that bound already fits.
  return s.length * 3 <= NAME_MAX ? s.length : encoder.encode(s).length;
}

/** Checks the whole-path length limit (PATH_MAX includes the NUL). */
export function checkPathLength(path: string): void {
  if (path.length === 0) throw new KernelError(Errno.ENOENT, 'empty path');
  if (path.length >= PATH_MAX / 3 && encoder.encode(path).length >= PATH_MAX) {
    throw new KernelError(Errno.ENAMETOOLONG, `path of ${path.length} characters`);
  }
}

/** The root vnode of whatever is mounted on `v` (repeatedly), or `v` itself. */
export function crossMountsDown(v: Vnode): Vnode {
  while (v.mountedHere !== undefined) v = v.mountedHere.root;
  return v;
}

/**
 * Resolves `path`. With `allowMissingLast`, a missing final component is not an error (the
 * result has `vnode: undefined`), for the operations that create or remove names. With
 * `literalLast` the final component is never followed, even with a trailing slash, and a
 * trailing slash on a non-directory is left for the caller to judge: Linux's mkdir, rmdir,
 * unlink, rename, link and symlink act on the name itself ("rmdir link/" is ENOTDIR).
 */
export function resolvePath(
  vfsRoot: Vnode,
  path: string,
  options: LookupOptions,
  allowMissingLast: boolean,
  literalLast = false,
): Resolved {
  checkPathLength(path);
  const sandbox = options.sandbox;
  const beneath = sandbox === 'beneath' || sandbox === 'beneath-links-in-root';
  const root = crossMountsDown(
    options.root ?? (sandbox !== undefined && options.at !== undefined ? options.at : vfsRoot),
  );
  const follow = options.follow ?? true;

  let cur: Vnode;
  if (path.charCodeAt(0) === 47 /* / */) {
    if (beneath) throw new SandboxEscapeError(path, 'absolute-path');
    cur = root;
  } else {
    cur = crossMountsDown(options.at ?? root);
  }

  // Remaining components, last one first (so pop() yields the next). Symlink expansion pushes
  // the target's components on top.
  const pending: string[] = [];
  let mustBeDir = pushComponents(pending, path);
  let symlinks = 0;
  // A path that is just "/" (or only slashes) names the start directory itself.
  if (pending.length === 0) return { parent: cur, name: '/', vnode: cur, mustBeDir: true };

  for (;;) {
    const name = pending.pop()!;
    const last = pending.length === 0;
    if (cur.type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR, path);
    if (byteLength(name) > NAME_MAX)
      throw new KernelError(Errno.ENAMETOOLONG, `component of ${name.length} characters`);

    let next: Vnode | undefined;
    if (name === '.') {
      next = cur;
    } else if (name === '..') {
      next = dotdot(cur, root, beneath, path);
    } else {
      const found = cur.ops.lookup(cur, name);
      next = found === undefined ? undefined : crossMountsDown(found);
    }

    if (next === undefined) {
      if (last && allowMissingLast) return { parent: cur, name, vnode: undefined, mustBeDir };
      throw new KernelError(Errno.ENOENT, path);
    }

    if (next.type === VType.VLNK && (!last || (!literalLast && (follow || mustBeDir)))) {
      if (++symlinks > MAX_SYMLINKS) throw new KernelError(Errno.ELOOP, path);
      const target = next.ops.readlink!(next);
      if (target.length === 0) throw new KernelError(Errno.ENOENT, `empty symlink in ${path}`);
      checkPathLength(target);
      if (target.charCodeAt(0) === 47) {
        if (sandbox === 'beneath') throw new SandboxEscapeError(path, 'absolute-symlink');
        cur = root;
      }
      // A trailing slash of the whole path still applies to what the symlink resolves to.
      const targetSlash = pushComponents(pending, target);
      if (last) mustBeDir = mustBeDir || targetSlash;
      if (pending.length === 0) {
        // The target was "/" (or only slashes): the result is the directory we restarted at.
        return { parent: cur, name: '/', vnode: cur, mustBeDir: true };
      }
      continue;
    }

    if (last) {
      if (mustBeDir && !literalLast && next.type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR, path);
      return { parent: cur, name, vnode: next, mustBeDir };
    }
    cur = next;
  }
}

function dotdot(cur: Vnode, root: Vnode, beneath: boolean, path: string): Vnode {
  if (cur === root) {
    if (beneath) throw new SandboxEscapeError(path, 'dotdot');
    return cur;
  }
  let d = cur;
  // At the root of a mounted file system, step out to the directory it covers first.
  while (d.mount.covered !== undefined && d === d.mount.root) d = d.mount.covered;
  return crossMountsDown(d.ops.parent(d));
}

// The last path split (a pure function of the string, so one cache serves every Vfs): programs
// resolve the same path repeatedly, and reusing its component strings saves the split and, in
// the directory's Map, hashing freshly made strings again.
let splitPath: string | undefined;
let splitReversed: readonly string[] = [];
let splitTrailing = false;

/**
 * Pushes the components of `path` onto `stack` so that pop() returns them in path order.
 * Returns true when the path ends in "/" (and has a component before it).
 */
function pushComponents(stack: string[], path: string): boolean {
  if (path !== splitPath) {
    const parts = path.split('/');
    let trailing = false;
    let end = parts.length;
    // "a/b/" and "a/b//" end with empty parts: the path must name a directory.
    while (end > 0 && parts[end - 1] === '') {
      end--;
      trailing = true;
    }
    const reversed: string[] = [];
    for (let i = end - 1; i >= 0; i--) {
      const p = parts[i]!;
      if (p !== '') reversed.push(p);
    }
    splitPath = path;
    splitReversed = reversed;
    splitTrailing = trailing && end > 0;
  }
  for (const p of splitReversed) stack.push(p);
  return splitTrailing;
}

// The per-user directory osv-ts caches host-side build products in: composed kernel bundles,
// which the vCPU worker runs with every Node API, and the native helpers (the TAP relay, the
// disk locker), which run as the user. Whoever can write into it can run code as the next user
// of osv, so it must be the user's own: created 0700, and an existing one is used only when the
// calling user owns it and nobody else may write to it (as OpenSSH treats ~/.ssh). There is no
// shared fallback such as /tmp/osv-ts-cache: any local user could create that first and fill it.
import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** The cache directory cannot be made, is not a directory, or is not private to this user. */
export class CacheDirError extends Error {
  override readonly name = 'CacheDirError';
}

/**
 * The cache directory: $OSV_CACHE_DIR, else $XDG_CACHE_HOME/osv-ts, else ~/.cache/osv-ts
 * (XDG Base Directory spec: a relative XDG_CACHE_HOME is invalid and ignored). Created 0700
 * when missing; throws CacheDirError, in one line naming the variable or the directory, when it
 * cannot be created or is not private to this user.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['OSV_CACHE_DIR'];
  if (override) {
    const dir = resolve(override);
    try {
      ensurePrivateDir(dir);
    } catch (e) {
      if (!(e instanceof CacheDirError)) throw e;
      throw new CacheDirError(`OSV_CACHE_DIR=${override}: ${e.message}`);
    }
    return dir;
  }
  const xdg = env['XDG_CACHE_HOME'];
  const dir = join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'osv-ts');
  try {
    ensurePrivateDir(dir);
  } catch (e) {
    if (!(e instanceof CacheDirError)) throw e;
    throw new CacheDirError(`the cache directory ${dir}: ${e.message}; set OSV_CACHE_DIR to a directory of your own`);
  }
  return dir;
}

/**
 * Creates `dir` (and missing parents) with mode 0700, or checks that an existing one is a
 * directory of this user's that group and others cannot write (following symlinks: what
 * counts is the directory the files land in).
 */
export function ensurePrivateDir(dir: string): void {
  makeDirectories(resolve(dir));
  const st = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    throw new CacheDirError(`${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): its kernels would run as you`);
  if ((st.mode & 0o022) !== 0)
    throw new CacheDirError(
      `${dir} is writable by others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): chmod go-w it`,
    );
}

/**
 * `mkdir -p` with mode 0700, one component at a time: Node 20's mkdirSync({ recursive: true })
 * loops forever where mkdir(2) keeps failing with ENOENT under an existing parent (/proc/x).
 * Throws CacheDirError naming the component that failed.
 */
function makeDirectories(path: string): void {
  let st;
  try {
    st = statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    // ENOTDIR: a component above is a file, which the parent's turn names.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTDIR') throw new CacheDirError(`cannot use ${path}: ${code ?? (e as Error).message}`);
  }
  if (st?.isDirectory()) return;
  if (st) throw new CacheDirError(`${path} is not a directory`);
  const parent = dirname(path);
  if (parent !== path) makeDirectories(parent);
  try {
    // mkdir(2) applies the umask to the mode; 0700 less any umask that keeps the owner's bits.
    mkdirSync(path, 0o700);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(path).isDirectory()) return;
    throw new CacheDirError(`cannot make ${path}: ${code ?? (e as Error).message}`);
  }
}

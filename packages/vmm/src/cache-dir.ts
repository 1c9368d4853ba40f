// The per-user directory osv-ts caches host-side build products in: composed kernel bundles,
// which the vCPU worker runs with every Node API, and the TAP relay binary, which runs as the
// user. Whoever can write into it can run code as the next user of osv, so it must be the
// user's own: created 0700, and an existing one is used only when the calling user owns it and
// nobody else may write to it (as OpenSSH treats ~/.ssh). There is no shared fallback such as
// /tmp/osv-ts-cache: any local user could create that first and fill it.
import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export class CacheDirError extends Error {
  override readonly name = 'CacheDirError';
}

/**
 * The cache directory: $OSV_CACHE_DIR, else $XDG_CACHE_HOME/osv-ts, else ~/.cache/osv-ts
 * (XDG Base Directory spec: a relative XDG_CACHE_HOME is invalid and ignored). Created 0700
 * when missing; throws CacheDirError when it cannot be created or is not private to this user.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['OSV_CACHE_DIR'];
  const xdg = env['XDG_CACHE_HOME'];
  const dir = override ? resolve(override) : join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'osv-ts');
  ensurePrivateDir(dir);
  return dir;
}

/** Creates `dir` (and missing parents) with mode 0700, or checks that an existing one is private. */
export function ensurePrivateDir(dir: string): void {
  const hint = 'set OSV_CACHE_DIR to a directory of your own';
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new CacheDirError(`cannot create the cache directory ${dir}: ${code}; ${hint}`);
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new CacheDirError(`the cache directory ${dir} is not a directory; ${hint}`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    throw new CacheDirError(
      `the cache directory ${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): its kernels would run as you; ${hint}`,
    );
  if ((st.mode & 0o022) !== 0)
    throw new CacheDirError(
      `the cache directory ${dir} is writable by others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): ` +
        `chmod go-w it, or ${hint}`,
    );
}

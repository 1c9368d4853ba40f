// Builds the VMM's native helpers (native/*.c, our own sources) with the system's C compiler on
// first use and caches each binary by its source's hash, so a changed helper is rebuilt and an
// unchanged one costs nothing: osv-tap-relay (Node cannot open a TAP device itself: TUNSETIFF is
// an ioctl) and osv-disk-lock (Node has no fcntl for image locks, blk/disk-lock.ts).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export class TapRelayBuildError extends Error {
  override readonly name = 'TapRelayBuildError';
}

function nativeSource(file: string): string {
  // dist/index.js and src/net/*.ts sit at different depths below the package directory.
  for (const rel of [`../native/${file}`, `../../native/${file}`]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new TapRelayBuildError(`native/${file} is missing from @osv-ts/vmm`);
}

/** OSV_CACHE_DIR names a directory that cannot be made or is not a directory. */
export class CacheDirError extends Error {
  override readonly name = 'CacheDirError';
}

/**
 * The directory osv-ts caches host-side build products in (kernel bundles, the TAP relay):
 * OSV_CACHE_DIR (which must be usable: CacheDirError otherwise), else `preferred`, else
 * $XDG_CACHE_HOME/osv-ts; a temp dir when the default cannot be made.
 */
export function cacheDir(preferred?: string): string {
  const chosen = process.env['OSV_CACHE_DIR'];
  if (chosen !== undefined && chosen !== '') {
    try {
      makeDirectories(chosen);
      return chosen;
    } catch (e) {
      if (!(e instanceof CacheDirError)) throw e;
      throw new CacheDirError(`OSV_CACHE_DIR=${chosen}: ${e.message}`);
    }
  }
  const dir = preferred ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'osv-ts');
  try {
    makeDirectories(dir);
    return dir;
  } catch {
    const fallback = join(tmpdir(), 'osv-ts-cache');
    makeDirectories(fallback);
    return fallback;
  }
}

/**
 * `mkdir -p`, one component at a time: Node 20's mkdirSync({ recursive: true }) loops forever
 * where mkdir(2) keeps failing with ENOENT under an existing parent (/proc/x). Throws
 * CacheDirError naming the component that failed.
 */
function makeDirectories(dir: string): void {
  const path = resolve(dir);
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
    mkdirSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(path).isDirectory()) return;
    throw new CacheDirError(`cannot make ${path}: ${code ?? (e as Error).message}`);
  }
}

/** The path of a built osv-tap-relay, compiling it when the cache has none for this source. */
export function ensureTapRelay(): string {
  return ensureNativeBinary('tap-relay.c', 'osv-tap-relay');
}

/** The path of the built helper `name` from native/`file`, compiling it on first use. */
export function ensureNativeBinary(file: string, name: string): string {
  const src = nativeSource(file);
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 16);
  const bin = join(cacheDir(), `${name}-${hash}`);
  if (existsSync(bin)) return bin;
  const tmp = `${bin}.${process.pid}.tmp`;
  const errors: string[] = [];
  for (const cc of ['cc', 'clang', 'gcc']) {
    try {
      execFileSync(cc, ['-O2', '-Wall', '-o', tmp, src], { stdio: ['ignore', 'ignore', 'pipe'] });
      chmodSync(tmp, 0o755);
      renameSync(tmp, bin);
      return bin;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
      errors.push(`${cc}: ${err.code === 'ENOENT' ? 'not installed' : (err.stderr?.toString().trim() ?? err.message)}`);
    }
  }
  throw new TapRelayBuildError(
    `cannot compile ${src} (scripts/setup-system.sh installs clang and the libc headers):\n${errors.join('\n')}`,
  );
}

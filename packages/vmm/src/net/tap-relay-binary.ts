// Builds the VMM's native helpers (native/*.c, our own sources) with the system's C compiler on
// first use and caches each binary by its source's hash, so a changed helper is rebuilt and an
// unchanged one costs nothing: osv-tap-relay (Node cannot open a TAP device itself: TUNSETIFF is
// an ioctl) and osv-disk-lock (Node has no fcntl for image locks, blk/disk-lock.ts).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from '../cache-dir.js';

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

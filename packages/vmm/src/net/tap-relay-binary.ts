// Builds osv-tap-relay (native/tap-relay.c, our own source) with the system's C compiler on
// first use and caches the binary by the source's hash, so a changed relay is rebuilt and an
// unchanged one costs nothing. Node cannot open a TAP device itself: TUNSETIFF is an ioctl.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from '../cache-dir.js';

export class TapRelayBuildError extends Error {
  override readonly name = 'TapRelayBuildError';
}

function relaySource(): string {
  // dist/index.js and src/net/*.ts sit at different depths below the package directory.
  for (const rel of ['../native/tap-relay.c', '../../native/tap-relay.c']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new TapRelayBuildError('native/tap-relay.c is missing from @osv-ts/vmm');
}

/** The path of a built osv-tap-relay, compiling it when the cache has none for this source. */
export function ensureTapRelay(): string {
  const src = relaySource();
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 16);
  const bin = join(cacheDir(), `osv-tap-relay-${hash}`);
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

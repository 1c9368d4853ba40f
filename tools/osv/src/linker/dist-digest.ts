// The digest of the kernel packages' build output: part of a composed kernel's cache key, so
// that a rebuilt or upgraded package composes a new kernel. Reading and hashing every dist/
// file (about 0.9 MB) took about 10 ms of each osv run. A file's stamp — size, mtime, ctime,
// inode, device — says whether it may have changed since the digest was taken, as git's index
// does; so the digest is kept in the cache directory under the hash of all the stamps and
// computed again only when one changes. ctime is the kernel's own: tools that restore a file's
// times (npm's fixed tarball mtimes, tar, cp -p) set mtime, and any write moves ctime.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One package's build output. */
export interface DistDir {
  readonly name: string;
  readonly dir: string;
}

/** How many stamp → digest pairs the memo keeps (one per installed tree in use). */
const MEMO_ENTRIES = 16;

/** The sha256 (hex) of every .js file's path and bytes under `dists`, memoised in `memoPath`. */
export function distDigest(dists: readonly DistDir[], memoPath: string): string {
  const files = dists.flatMap((d) =>
    existsSync(d.dir)
      ? listFiles(d.dir)
          .filter((f) => f.endsWith('.js'))
          .map((path) => ({ path, name: `${d.name}${path.slice(d.dir.length)}` }))
      : [],
  );
  const stamps = createHash('sha256');
  for (const f of files) {
    const s = statSync(f.path, { bigint: true });
    stamps.update(`${f.name}\0${s.size}\0${s.mtimeNs}\0${s.ctimeNs}\0${s.ino}\0${s.dev}\n`);
  }
  const key = stamps.digest('hex');
  const memo = readMemo(memoPath);
  const known = memo.get(key);
  if (known !== undefined) return known;
  const content = createHash('sha256');
  for (const f of files) content.update(`${f.name}\0`).update(readFileSync(f.path));
  const digest = content.digest('hex');
  memo.delete(key);
  memo.set(key, digest);
  writeMemo(memoPath, [...memo].slice(-MEMO_ENTRIES));
  return digest;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

/** The memo, or an empty one when it is missing or not what this code writes. */
function readMemo(path: string): Map<string, string> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (Array.isArray(parsed) && parsed.every((e) => isPair(e))) return new Map(parsed);
  } catch {
    // missing or damaged: computed again
  }
  return new Map();
}

const HEX64 = /^[0-9a-f]{64}$/;

function isPair(e: unknown): e is [string, string] {
  return Array.isArray(e) && e.length === 2 && HEX64.test(String(e[0])) && HEX64.test(String(e[1]));
}

/** Written whole or not at all (a temp file renamed), since concurrent runs share it. */
function writeMemo(path: string, entries: [string, string][]): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(entries));
    renameSync(tmp, path);
  } catch {
    // A cache that cannot be written is computed again next time.
  }
}

// The cache directory is private to its user: created 0700, refused when another uid owns it or
// others may write to it, and never replaced by a shared fixed path. One that cannot be made is
// one clear error naming the component (Node's own recursive mkdir spins forever under /proc).
import { chmodSync, chownSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CacheDirError, cacheDir } from './cache-dir.js';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'osv-cache-test-'));
const modeOf = (path: string): number => statSync(path).mode & 0o7777;

describe('cacheDir', () => {
  it('creates $XDG_CACHE_HOME/osv-ts with mode 0700, whatever the umask', () => {
    const xdg = join(scratch(), 'xdg');
    const old = process.umask(0);
    try {
      expect(cacheDir({ XDG_CACHE_HOME: xdg })).toBe(join(xdg, 'osv-ts'));
    } finally {
      process.umask(old);
    }
    expect(modeOf(join(xdg, 'osv-ts'))).toBe(0o700);
    expect(statSync(join(xdg, 'osv-ts')).uid).toBe(process.getuid!());
  });

  it('prefers OSV_CACHE_DIR, and falls back to ~/.cache/osv-ts when XDG_CACHE_HOME is unset or relative', () => {
    const own = join(scratch(), 'own');
    expect(cacheDir({ OSV_CACHE_DIR: own, XDG_CACHE_HOME: '/nonexistent-xdg' })).toBe(own);
    expect(modeOf(own)).toBe(0o700);
    // homedir() reads $HOME: point it at a scratch directory for the fallback.
    const home = scratch();
    const saved = process.env['HOME'];
    process.env['HOME'] = home;
    try {
      expect(cacheDir({ XDG_CACHE_HOME: 'relative/cache' })).toBe(join(home, '.cache', 'osv-ts'));
      expect(cacheDir({})).toBe(join(home, '.cache', 'osv-ts'));
    } finally {
      process.env['HOME'] = saved;
    }
    expect(modeOf(join(home, '.cache', 'osv-ts'))).toBe(0o700);
  });

  it('accepts an existing directory of its own that others may read but not write', () => {
    const dir = join(scratch(), 'shared-read');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    expect(cacheDir({ OSV_CACHE_DIR: dir })).toBe(dir);
    expect(modeOf(dir)).toBe(0o755); // left as the user set it
  });

  it('refuses a pre-created directory that group or world may write (mode 0777, 0770, 1777)', () => {
    for (const mode of [0o777, 0o770, 0o1777]) {
      const dir = join(scratch(), 'planted');
      mkdirSync(dir);
      chmodSync(dir, mode);
      expect(() => cacheDir({ OSV_CACHE_DIR: dir })).toThrow(CacheDirError);
      expect(() => cacheDir({ OSV_CACHE_DIR: dir })).toThrow(
        new RegExp(`writable by others \\(mode ${mode.toString(8).padStart(4, '0')}\\)`),
      );
    }
  });

  it('refuses a pre-created directory another uid owns, even with mode 0700', () => {
    // The tests run as root (the system tools are installed as root), so chown works.
    const dir = join(scratch(), 'other-users');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    expect(() => cacheDir({ OSV_CACHE_DIR: dir })).toThrow(/belongs to uid 65534, not to you \(uid 0\)/);
  });

  it('refuses a symlink to a directory another user may write, and a path that is a file', () => {
    const base = scratch();
    const target = join(base, 'world');
    mkdirSync(target);
    chmodSync(target, 0o777);
    symlinkSync(target, join(base, 'link'));
    expect(() => cacheDir({ OSV_CACHE_DIR: join(base, 'link') })).toThrow(/writable by others/);
    expect(() => cacheDir({ OSV_CACHE_DIR: '/etc/hostname' })).toThrow(CacheDirError);
  });

  it('fails in one line when it cannot create the directory, instead of falling back to a shared path', () => {
    // A file where a parent directory should be: mkdir fails with ENOTDIR even for root.
    expect(() => cacheDir({ OSV_CACHE_DIR: join('/etc/hostname', 'osv-ts') })).toThrow(
      new CacheDirError('OSV_CACHE_DIR=/etc/hostname/osv-ts: /etc/hostname is not a directory'),
    );
    const home = join(scratch(), 'file-home');
    writeFileSync(home, '');
    expect(() => cacheDir({ XDG_CACHE_HOME: home })).toThrow(
      new CacheDirError(
        `the cache directory ${home}/osv-ts: ${home} is not a directory; set OSV_CACHE_DIR to a directory of your own`,
      ),
    );
  });

  it('makes OSV_CACHE_DIR and its missing parents, and takes it as it is the second time', () => {
    const dir = join(scratch(), 'a', 'b');
    expect(cacheDir({ OSV_CACHE_DIR: dir })).toBe(dir);
    expect(modeOf(join(dir, '..'))).toBe(0o700);
    expect(cacheDir({ OSV_CACHE_DIR: dir })).toBe(dir);
  });

  it('refuses a directory that cannot be made, naming the component, instead of spinning', () => {
    expect(() => cacheDir({ OSV_CACHE_DIR: '/proc/osv-x/y' })).toThrow(
      new CacheDirError('OSV_CACHE_DIR=/proc/osv-x/y: cannot make /proc/osv-x: ENOENT'),
    );
  });
});

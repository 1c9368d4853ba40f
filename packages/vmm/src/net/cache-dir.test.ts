// cacheDir: OSV_CACHE_DIR is made when it can be, and is one clear error when it cannot (Node's
// own recursive mkdir spins forever under /proc).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheDirError, cacheDir } from './tap-relay-binary.js';

const saved = process.env['OSV_CACHE_DIR'];
afterEach(() => {
  if (saved === undefined) delete process.env['OSV_CACHE_DIR'];
  else process.env['OSV_CACHE_DIR'] = saved;
});

describe('cacheDir', () => {
  it('makes OSV_CACHE_DIR and its missing parents', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'osv-cache-')), 'a', 'b');
    process.env['OSV_CACHE_DIR'] = dir;
    expect(cacheDir()).toBe(dir);
    expect(cacheDir()).toBe(dir); // and takes it as it is the second time
  });

  it('refuses a directory that cannot be made, naming it, instead of spinning', () => {
    process.env['OSV_CACHE_DIR'] = '/proc/osv-x/y';
    expect(() => cacheDir()).toThrow(new CacheDirError('OSV_CACHE_DIR=/proc/osv-x/y: cannot make /proc/osv-x: ENOENT'));
  });

  it('refuses a path whose component is a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'osv-cache-')), 'file');
    writeFileSync(file, '');
    process.env['OSV_CACHE_DIR'] = join(file, 'cache');
    expect(() => cacheDir()).toThrow(`OSV_CACHE_DIR=${file}/cache: ${file} is not a directory`);
  });
});

// ZFS through the CLI: `osv mkfs zfs` pools that zfs-fuse imports and scrubs clean; the guest
// mounting pools from --disk (ours and zfs-fuse's, datasets and snapshots) with --mount-fs=zfs;
// and `osv build --fs zfs` images booting with their root on ZFS.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZfsFuse, run } from '@osv-ts/test-support';
import { example, osv } from './osv-cli.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const FSUTIL = example('fsutil');

describe('ZFS pools through osv mkfs, --disk and osv build --fs zfs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'osv-zfs-cli-'));
  const big = Buffer.alloc(1_500_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 0xff;
  let zfs: ZfsFuse;

  beforeAll(() => {
    mkdirSync(join(dir, 'src/sub'), { recursive: true });
    writeFileSync(join(dir, 'src/hello.txt'), 'hello from a zfs pool\n');
    writeFileSync(join(dir, 'src/big.bin'), big);
    writeFileSync(join(dir, 'src/sub/deep.txt'), 'deep\n');
    writeFileSync(
      join(dir, 'usr.manifest'),
      ['/hello.txt: src/hello.txt', '/data/big.bin: src/big.bin', '/sub/**: src/sub/**', '/link: ->/hello.txt', ''].join('\n'),
    );
    zfs = new ZfsFuse();
    zfs.start();
  }, 700_000);
  afterAll(() => {
    zfs?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('osv mkfs zfs writes a pool that zfs-fuse imports, scrubs with 0 errors and reads byte-exact', () => {
    const vdevDir = join(dir, 'mkfs');
    mkdirSync(vdevDir);
    const r = osv(['mkfs', 'zfs', join(dir, 'usr.manifest'), '-o', join(vdevDir, 'pool.img'), '--pool', 'osvmk', '--compression', 'gzip-6']);
    expect(r.stderr).toMatch(/zfs pool 'osvmk'/);
    expect(r.status).toBe(0);
    const alt = join(dir, 'alt');
    zfs.zpool('import', '-d', vdevDir, '-R', alt, 'osvmk');
    try {
      zfs.zpool('scrub', 'osvmk');
      let status = '';
      for (let i = 0; i < 100 && !/scrub repaired|scrub completed/.test(status); i++) {
        status = zfs.zpool('status', '-v', 'osvmk');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
      expect(status).toMatch(/with 0 errors/);
      expect(status).toMatch(/No known data errors/);
      expect(readFileSync(join(alt, 'osvmk/hello.txt'), 'utf8')).toBe('hello from a zfs pool\n');
      expect(sha(readFileSync(join(alt, 'osvmk/data/big.bin')))).toBe(sha(big));
      expect(readFileSync(join(alt, 'osvmk/sub/deep.txt'), 'utf8')).toBe('deep\n');
      expect(run('readlink', [join(alt, 'osvmk/link')]).trim()).toBe('/hello.txt');
      expect(zfs.zfs('get', '-H', '-o', 'value', 'compression', 'osvmk').trim()).toMatch(/^gzip(-6)?$/); // 6 is gzip's default
    } finally {
      zfs.zpool('export', 'osvmk');
    }
  }, 120_000);

  it('the guest mounts an osv mkfs pool from --disk with --mount-fs=zfs and reads it', () => {
    const pool = join(dir, 'disk.img');
    expect(osv(['mkfs', 'zfs', join(dir, 'usr.manifest'), '-o', pool, '--pool', 'tank', '--dataset', 'files']).status).toBe(0);
    const r = osv(['run', '--disk', pool, '--mount-fs=zfs,tank/files,/mnt', FSUTIL, 'ls', '/mnt', ',', 'cat', '/mnt/data/big.bin']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const listing = 'd 3 data\n- 22 hello.txt\nl 10 link\nd 3 sub\n';
    expect(r.stdout.subarray(0, listing.length).toString()).toBe(listing);
    expect(sha(r.stdout.subarray(listing.length))).toBe(sha(big));
    const missing = osv(['run', '--disk', pool, '--mount-fs=zfs,nosuch/files,/mnt', FSUTIL, 'ls', '/']);
    expect(missing.stderr).toMatch(/failed to mount nosuch\/files on \/mnt: .*no pool 'nosuch'.*found: tank/);
  }, 120_000);

  it('reads a pool zfs-fuse created (lzjb dataset, snapshot, ashift 9) and writes are refused read-only', () => {
    const vdevDir = join(dir, 'fuse');
    mkdirSync(vdevDir);
    const vdev = join(vdevDir, 'vdev.img');
    run('truncate', ['-s', '96M', vdev]);
    const mnt = join(dir, 'fusemnt');
    zfs.zpool('create', '-o', 'ashift=9', '-m', mnt, 'fusepool', vdev);
    try {
      zfs.zfs('create', '-o', 'compression=lzjb', 'fusepool/data');
      writeFileSync(join(mnt, 'data/big.bin'), big);
      writeFileSync(join(mnt, 'data/note.txt'), 'before the snapshot\n');
      zfs.zfs('snapshot', 'fusepool/data@one');
      writeFileSync(join(mnt, 'data/note.txt'), 'after the snapshot\n');
    } finally {
      zfs.zpool('export', 'fusepool');
    }
    const r = osv([
      'run', '--disk', vdev, '--mount-fs=zfs,fusepool/data,/data', '--mount-fs=zfs,fusepool/data@one,/snap',
      FSUTIL, 'cat', '/data/note.txt', '/snap/note.txt', '/data/big.bin', ',', 'write', '/data/x', 'y',
    ]);
    const head = 'after the snapshot\nbefore the snapshot\n';
    expect(r.stdout.subarray(0, head.length).toString()).toBe(head);
    expect(sha(r.stdout.subarray(head.length))).toBe(sha(big));
    expect(r.stderr).toMatch(/fsutil: open \/data\/x: Read-only file system/);
    expect(r.status).toBe(1);
  }, 120_000);

  it('osv build --fs zfs boots with its root on ZFS (pool osv, dataset osv/zfs)', () => {
    const img = join(dir, 'app.img');
    const b = osv(['build', '--fs', 'zfs', '--manifest', join(dir, 'usr.manifest'), '--app', FSUTIL, '-o', img]);
    expect(b.stderr).toMatch(/modules: .*zfs/);
    expect(b.status).toBe(0);
    const r = osv(['run', '-i', img, '-e', '--bootchart /fsutil.wasm cat /hello.txt /link /sub/deep.txt']);
    expect(r.stdout.toString()).toBe('hello from a zfs pool\nhello from a zfs pool\ndeep\n');
    expect(r.stderr).toMatch(/ZFS mounted/);
    expect(r.status).toBe(0);
  }, 120_000);
});

// ZFS through the CLI: `osv mkfs zfs` pools that zfs-fuse imports and scrubs clean; the guest
// mounting pools from --disk (ours and zfs-fuse's, datasets and snapshots) with --mount-fs=zfs;
// and `osv build --fs zfs` images booting with their root on ZFS.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZfsFuse, run } from '@osv-ts/test-support';
import { MemoryBlockDevice } from '@osv-ts/vfs';
import { openPool } from '@osv-ts/zfs';
import { CLI, example, osv, spawn } from './osv-cli.js';

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
      [
        '/hello.txt: src/hello.txt',
        '/data/big.bin: src/big.bin',
        '/sub/**: src/sub/**',
        '/link: ->/hello.txt',
        '',
      ].join('\n'),
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
    const r = osv([
      'mkfs',
      'zfs',
      join(dir, 'usr.manifest'),
      '-o',
      join(vdevDir, 'pool.img'),
      '--pool',
      'osvmk',
      '--compression',
      'gzip-6',
    ]);
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
      zfs.exportPool('osvmk');
    }
  }, 120_000);

  it('the guest mounts an osv mkfs pool from --disk with --mount-fs=zfs and reads it', () => {
    const pool = join(dir, 'disk.img');
    expect(
      osv(['mkfs', 'zfs', join(dir, 'usr.manifest'), '-o', pool, '--pool', 'tank', '--dataset', 'files']).status,
    ).toBe(0);
    const r = osv([
      'run',
      '--disk',
      pool,
      '--mount-fs=zfs,tank/files,/mnt',
      FSUTIL,
      'ls',
      '/mnt',
      ',',
      'cat',
      '/mnt/data/big.bin',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const listing = 'd 3 data\n- 22 hello.txt\nl 10 link\nd 3 sub\n';
    expect(r.stdout.subarray(0, listing.length).toString()).toBe(listing);
    expect(sha(r.stdout.subarray(listing.length))).toBe(sha(big));
    const missing = osv(['run', '--disk', pool, '--mount-fs=zfs,nosuch/files,/mnt', FSUTIL, 'ls', '/']);
    expect(missing.stderr).toMatch(/failed to mount nosuch\/files on \/mnt: .*no pool 'nosuch'.*found: tank/);
  }, 120_000);

  it('the guest writes into a pool (files, a 1.5 MB copy, dirs, rename, links, unlink); zfs-fuse scrubs it clean and reads it back', () => {
    const vdevDir = join(dir, 'guestw');
    mkdirSync(vdevDir);
    const pool = join(vdevDir, 'pool.img');
    expect(osv(['mkfs', 'zfs', join(dir, 'usr.manifest'), '-o', pool, '--pool', 'gw']).status).toBe(0);
    const bigHost = join(dir, 'src/big.bin');
    const w = osv([
      'run',
      '--disk',
      pool,
      '--mount-fs=zfs,gw,/p',
      '--file',
      `/big.bin=${bigHost}`,
      FSUTIL,
      'write',
      '/p/new.txt',
      'written in the guest',
      ',',
      'mkdir',
      '/p/d',
      ',',
      'cp',
      '/big.bin',
      '/p/d/copy.bin',
      ',',
      'mv',
      '/p/hello.txt',
      '/p/d/hello.txt',
      ',',
      'ln',
      '-s',
      'd/copy.bin',
      '/p/sym',
      ',',
      'ln',
      '/p/new.txt',
      '/p/hard.txt',
      ',',
      'rm',
      '/p/sub/deep.txt',
      ',',
      'rmdir',
      '/p/sub',
    ]);
    expect(w.stderr).toBe('');
    expect(w.status).toBe(0);
    // A second boot sees the first one's writes (synced at power-off), and appends.
    const again = osv([
      'run',
      '--disk',
      pool,
      '--mount-fs=zfs,gw,/p',
      FSUTIL,
      'append',
      '/p/new.txt',
      ' twice',
      ',',
      'ls',
      '/p',
    ]);
    expect(again.stdout.toString()).toBe('d 4 d\nd 3 data\n- 26 hard.txt\nl 10 link\n- 26 new.txt\nl 10 sym\n');
    const mnt = join(dir, 'gwalt');
    zfs.zpool('import', '-d', vdevDir, '-R', mnt, 'gw');
    try {
      zfs.zpool('scrub', 'gw');
      let status = '';
      for (let i = 0; i < 100 && !/scrub repaired|scrub completed/.test(status); i++) {
        status = zfs.zpool('status', '-v', 'gw');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
      expect(status).toMatch(/with 0 errors/);
      const root = join(mnt, 'gw');
      expect(readFileSync(join(root, 'new.txt'), 'utf8')).toBe('written in the guest twice');
      expect(readFileSync(join(root, 'hard.txt'), 'utf8')).toBe('written in the guest twice');
      expect(sha(readFileSync(join(root, 'd/copy.bin')))).toBe(sha(big));
      expect(sha(readFileSync(join(root, 'sym')))).toBe(sha(big));
      expect(readFileSync(join(root, 'd/hello.txt'), 'utf8')).toBe('hello from a zfs pool\n');
      expect(run('ls', [root]).split('\n').filter(Boolean).sort()).toEqual([
        'd',
        'data',
        'hard.txt',
        'link',
        'new.txt',
        'sym',
      ]);
    } finally {
      zfs.exportPool('gw');
    }
    const zdb = run('zdb', ['-e', '-p', vdevDir, '-bc', 'gw'], { allowFail: true });
    expect(zdb).toMatch(/No leaks/);
  }, 180_000);

  it('commits unsynced writes within the txg timeout (5 s): they survive a SIGKILL of the VMM', async () => {
    const pool = join(dir, 'txg.img');
    expect(osv(['mkfs', 'zfs', join(dir, 'usr.manifest'), '-o', pool, '--pool', 'txg']).status).toBe(0);
    // put: no fsync. The txg_sync thread must commit it while the next app sleeps 7 s.
    const child = spawn(process.execPath, [
      CLI,
      'run',
      '--disk',
      pool,
      '--mount-fs=zfs,txg,/p',
      '--file',
      `/sleep.wasm=${example('sleep')}`,
      '-e',
      `/fsutil.wasm put /p/late.txt "not fsynced" ; /sleep.wasm 7000`,
      '--file',
      `/fsutil.wasm=${FSUTIL}`,
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.on('exit', r));
    for (const until = Date.now() + 60_000; !out.includes('awake') && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL'); // no power-off sync
    await exited;
    expect(out).toContain('awake');
    const r = osv(['run', '--disk', pool, '--mount-fs=zfs,txg,/p', FSUTIL, 'cat', '/p/late.txt']);
    expect(r.stdout.toString()).toBe('not fsynced');
  }, 120_000);

  it('stays consistent when the txg timeout commits in the middle of a long workload (20 000 files)', () => {
    const FILES = 20_000;
    const vdevDir = join(dir, 'many');
    mkdirSync(vdevDir);
    const pool = join(vdevDir, 'pool.img');
    writeFileSync(join(dir, 'empty.manifest'), '');
    expect(
      osv([
        'mkfs',
        'zfs',
        join(dir, 'empty.manifest'),
        '-o',
        pool,
        '--pool',
        'many',
        '--compression',
        'off',
        '--size',
        '256M',
      ]).status,
    ).toBe(0);
    const txgOf = (): number => openPool([new MemoryBlockDevice(readFileSync(pool), 'pool')]).uberblock.txg;
    const before = txgOf();
    const r = osv(['run', '--disk', pool, '--mount-fs=zfs,many,/p', FSUTIL, 'many', '/p/d', String(FILES)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // fsync of the last file commits one txg; more means txg_sync committed mid-workload.
    expect(txgOf() - before).toBeGreaterThanOrEqual(2);
    const mnt = join(dir, 'manyalt');
    zfs.zpool('import', '-d', vdevDir, '-R', mnt, 'many');
    try {
      expect(
        run('ls', [join(mnt, 'many/d')])
          .split('\n')
          .filter(Boolean).length,
      ).toBe(FILES);
      expect(readFileSync(join(mnt, `many/d/f${FILES - 1}`), 'utf8')).toBe('x'.repeat(1024));
    } finally {
      zfs.exportPool('many');
    }
    expect(run('zdb', ['-e', '-p', vdevDir, '-bc', 'many'], { allowFail: true })).toMatch(/No leaks/);
  }, 180_000);

  it('reads a pool zfs-fuse created (lzjb dataset, snapshot, ashift 9), writes to it, and zfs-fuse sees the writes', () => {
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
      zfs.exportPool('fusepool');
    }
    const r = osv([
      'run',
      '--disk',
      vdev,
      '--mount-fs=zfs,fusepool/data,/data',
      '--mount-fs=zfs,fusepool/data@one,/snap',
      FSUTIL,
      'cat',
      '/data/note.txt',
      '/snap/note.txt',
      '/data/big.bin',
      ',',
      'write',
      '/data/x',
      'from osv-ts',
      ',',
      'write',
      '/snap/x',
      'y',
    ]);
    const head = 'after the snapshot\nbefore the snapshot\n';
    expect(r.stdout.subarray(0, head.length).toString()).toBe(head);
    expect(sha(r.stdout.subarray(head.length))).toBe(sha(big));
    expect(r.stderr).toMatch(/fsutil: open \/snap\/x: Read-only file system/); // snapshots stay read-only
    expect(r.status).toBe(1);
    zfs.zpool('import', '-d', vdevDir, 'fusepool');
    try {
      expect(readFileSync(join(mnt, 'data/x'), 'utf8')).toBe('from osv-ts');
      expect(zfs.zfs('list', '-H', '-o', 'name', '-t', 'snapshot').trim()).toBe('fusepool/data@one');
    } finally {
      zfs.exportPool('fusepool');
    }
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
    // The root is read-write: what one boot writes, the next one reads.
    const w = osv(['run', '-i', img, '-e', '/fsutil.wasm mkdir /var , write /var/state "boot one" , rm /sub/deep.txt']);
    expect(w.stderr).toBe('');
    expect(w.status).toBe(0);
    const again = osv(['run', '-i', img, '-e', '/fsutil.wasm cat /var/state , ls /sub']);
    expect(again.stdout.toString()).toBe('boot one');
  }, 120_000);
});

// ZfsVfs over a writable pool: POSIX operations through @osv-ts/vfs land in the pool, sync(2)
// commits them, a reopened pool shows the same tree, and a file unlinked while open stays
// readable until closed (on the delete queue across a sync), then is freed.
import { imageDir, imageFile, O_CREAT, O_RDWR, O_WRONLY, Vfs } from '@osv-ts/vfs';
import { describe, expect, it } from 'vitest';
import { Dsl } from '../dsl/dsl.js';
import { openPool } from '../pool/pool.js';
import { WritablePool } from '../spa/writable-pool.js';
import { createPool } from '../write/create-pool.js';
import { ZapReader } from '../zap/zap-reader.js';
import { ZplFilesystem } from '../zpl/zpl.js';
import { ZfsVfs } from './zfs-vfs.js';
import { MemoryBlockDevice } from '../../test/file-block-device.js';
import { fixedClock, pseudoRandom, seededEntropy } from '../../test/fixtures.js';
import { leakCheck } from '../../test/leak-check.js';
import { walkVfs, walkZpl } from '../../test/tree.js';
import { withoutIno } from '../../test/workload.js';

function setup(): { dev: MemoryBlockDevice; wp: WritablePool; vfs: Vfs } {
  const dev = new MemoryBlockDevice('mem', new Uint8Array(48 << 20));
  createPool(dev, imageDir([['old.txt', imageFile('old\n')]]), {
    name: 'vfsw',
    clock: fixedClock,
    entropy: seededEntropy(1),
    ashift: 12,
  });
  const wp = new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(2) });
  const vfs = new Vfs({ clock: fixedClock });
  vfs.mountRoot(ZfsVfs.writable(wp));
  return { dev, wp, vfs };
}

function reopened(dev: MemoryBlockDevice): { fs: ZplFilesystem; queue: number } {
  const pool = openPool([dev]);
  const dsl = new Dsl(pool);
  const fs = new ZplFilesystem(dsl.objset(dsl.find('vfsw')));
  return { fs, queue: ZapReader.open(fs.os, fs.deleteQueueObj).entries().length };
}

describe('ZfsVfs read-write', () => {
  it('POSIX operations through the VFS are committed by sync and read back after reopen', () => {
    const { dev, wp, vfs } = setup();
    vfs.mkdir('/dir', 0o750);
    const f = vfs.open('/dir/data', O_CREAT | O_WRONLY, 0o640);
    f.write(pseudoRandom(300_000, 3));
    f.pwrite(new TextEncoder().encode('patch'), 1000);
    f.close();
    vfs.symlink('dir/data', '/link');
    vfs.link('/dir/data', '/hard');
    vfs.rename('/old.txt', '/dir/renamed.txt');
    vfs.truncate('/hard', 200_000);
    vfs.chmod('/dir/renamed.txt', 0o600);
    expect(wp.dirty).toBe(true);
    const before = withoutIno(walkVfs(vfs));
    vfs.sync();
    expect(wp.dirty).toBe(false);
    const { fs } = reopened(dev);
    expect(withoutIno(walkZpl(fs))).toEqual(before);
    expect(before.get('hard')).toMatchObject({ size: 200_000, nlink: 2, mode: 0o640 });
    expect(before.get('dir')).toMatchObject({ type: 'dir', mode: 0o750, nlink: 2 });
    const leaks = leakCheck(dev);
    expect(leaks.referencedBytes).toBe(leaks.allocatedBytes);
  });

  it('a file unlinked while open survives a sync on the delete queue and is freed on close', () => {
    const { dev, vfs } = setup();
    const w = vfs.open('/tmpfile', O_CREAT | O_RDWR, 0o644);
    w.write(pseudoRandom(100_000, 9));
    vfs.sync();
    const ino = vfs.stat('/tmpfile').ino;
    vfs.unlink('/tmpfile');
    vfs.sync();
    const during = reopened(dev);
    expect(during.queue).toBe(1);
    expect(during.fs.stat(ino)).toMatchObject({ links: 0, size: 100_000 });
    expect(() => during.fs.resolve('/tmpfile')).toThrow();
    const buf = new Uint8Array(10);
    expect(w.pread(buf, 0)).toBe(10);
    expect(buf).toEqual(pseudoRandom(100_000, 9).subarray(0, 10));
    w.close();
    vfs.sync();
    const after = reopened(dev);
    expect(after.queue).toBe(0);
    const leaks = leakCheck(dev);
    expect(leaks.referencedBytes).toBe(leaks.allocatedBytes);
    expect(after.fs.os.dnode(ino).type).toBe(0);
  });

  it('a file left on the delete queue by a session that ended is freed by the next one', () => {
    const { dev, wp, vfs } = setup();
    const w = vfs.open('/orphan', O_CREAT | O_RDWR, 0o644);
    w.write(pseudoRandom(50_000, 3));
    const ino = vfs.stat('/orphan').ino;
    vfs.unlink('/orphan');
    wp.sync(); // the session ends here with the file still open: no close, no release
    expect(reopened(dev).queue).toBe(1);
    const next = new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(3) });
    next.filesystem();
    expect(next.dirty).toBe(true);
    next.sync();
    const after = reopened(dev);
    expect(after.queue).toBe(0);
    expect(after.fs.os.dnode(ino).type).toBe(0);
    const leaks = leakCheck(dev);
    expect(leaks.referencedBytes).toBe(leaks.allocatedBytes);
  });
});

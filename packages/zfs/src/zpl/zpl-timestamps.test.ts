// Timestamps as Linux updates them: a data write sets the file's mtime and ctime (not atime);
// creating, removing or renaming an entry sets the directory's mtime and ctime; link-count and
// attribute changes set only ctime; new znodes get all four times and zp_gen = the open txg.
import type { Clock } from '@osv-ts/kernel-api';
import { imageDir, imageFile } from '@osv-ts/vfs';
import { describe, expect, it } from 'vitest';
import { WritablePool } from '../spa/writable-pool.js';
import { createPool } from '../write/create-pool.js';
import { MemoryBlockDevice } from '../../test/file-block-device.js';
import { fixedClock, seededEntropy } from '../../test/fixtures.js';

describe('ZplWriter timestamps', () => {
  it('follow Linux for write, create, unlink, rename, link and chmod', () => {
    const dev = new MemoryBlockDevice('mem', new Uint8Array(32 << 20));
    createPool(dev, imageDir([['f', imageFile('x')]]), { name: 'ts', clock: fixedClock, entropy: seededEntropy(1) });
    let sec = 2_000_000_000;
    const clock: Clock = { resolutionNs: 1, monotonicNs: () => 0, realtimeNs: () => BigInt(sec) * 1_000_000_000n + 5n };
    const wp = new WritablePool([dev], { clock, entropy: seededEntropy(2) });
    const z = wp.filesystem();
    const root = z.rootObj;
    const f = z.lookup(root, 'f').obj;
    const at = (obj: number) => {
      const s = z.stat(obj);
      return { a: s.atime.sec, m: s.mtime.sec, c: s.ctime.sec };
    };
    const created = at(f);
    sec += 10;
    z.write(f, 0, new Uint8Array([1, 2, 3]));
    expect(at(f)).toEqual({ a: created.a, m: sec, c: sec });
    sec += 10;
    const d = z.mkdir(root, 'd');
    expect(at(root)).toMatchObject({ m: sec, c: sec });
    expect(at(d)).toEqual({ a: sec, m: sec, c: sec });
    expect(z.stat(d)).toMatchObject({ gen: wp.txg + 1, links: 2, size: 2, crtime: { sec, nsec: 5 } });
    sec += 10;
    z.link(d, 'hard', f);
    expect(at(f)).toEqual({ a: created.a, m: sec - 20, c: sec });
    expect(at(d)).toMatchObject({ m: sec, c: sec });
    sec += 10;
    z.rename(root, 'f', d, 'g');
    expect(at(root)).toMatchObject({ m: sec, c: sec });
    expect(at(d)).toMatchObject({ m: sec, c: sec });
    expect(at(f)).toMatchObject({ m: sec - 30, c: sec });
    sec += 10;
    z.setattr(f, { mode: 0o600 });
    expect(at(f)).toMatchObject({ m: sec - 40, c: sec });
    expect(z.stat(f).mode & 0o7777).toBe(0o600);
    sec += 10;
    const rootBefore = at(root);
    z.unlink(d, 'hard');
    expect(at(d)).toMatchObject({ m: sec, c: sec });
    expect(at(f)).toMatchObject({ c: sec });
    expect(at(root)).toEqual(rootBefore);
    expect(z.stat(root)).toMatchObject({ size: 3, links: 3 });
  });
});

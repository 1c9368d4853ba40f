// Directory ZAPs change shape the way zfs-fuse's do (zap_micro.c, reference §7.1): a microZAP
// grows in 512-byte steps, becomes a fat ZAP past 2 047 entries or with a name of 50+ bytes,
// and neither shrinks nor turns back into a microZAP when entries go.
import { imageDir } from '@osv-ts/vfs';
import { describe, expect, it } from 'vitest';
import { WritablePool } from '../spa/writable-pool.js';
import { createPool } from '../write/create-pool.js';
import { ZapReader } from '../zap/zap-reader.js';
import { MemoryBlockDevice } from '../../test/file-block-device.js';
import { fixedClock, seededEntropy } from '../../test/fixtures.js';

function pool(): WritablePool {
  const dev = new MemoryBlockDevice('mem', new Uint8Array(32 << 20));
  createPool(dev, imageDir([]), { name: 'dirs', clock: fixedClock, entropy: seededEntropy(1) });
  return new WritablePool([dev], { clock: fixedClock, entropy: seededEntropy(2) });
}

describe('directory ZAP shape across txgs', () => {
  it('micro grows by 512 bytes, upgrades past 2047 entries, never shrinks or goes back', () => {
    const wp = pool();
    const z = wp.filesystem();
    const d = z.mkdir(z.rootObj, 'd');
    const shape = () => ZapReader.open(wp.dataset('dirs').objset.committed, d);
    for (let i = 0; i < 20; i++) z.create(d, `f${i}`);
    wp.sync();
    expect(shape().kind).toBe('micro');
    expect(shape().shape.microBlockSize).toBe(1536);
    for (let i = 1; i < 20; i++) z.unlink(d, `f${i}`);
    wp.sync();
    expect(shape().shape).toEqual({ fat: false, microBlockSize: 1536 });
    for (let i = 100; i < 100 + 2046; i++) z.create(d, `f${i}`);
    wp.sync();
    expect(shape().kind).toBe('micro');
    expect(shape().shape.microBlockSize).toBe(128 * 1024);
    z.create(d, 'one-more');
    wp.sync();
    expect(shape().kind).toBe('fat');
    for (const e of z.readdir(d)) if (e.name !== 'f0') z.unlink(d, e.name);
    wp.sync();
    expect(shape().kind).toBe('fat');
    expect(
      shape()
        .entries()
        .map((e) => e.name),
    ).toEqual(['f0']);
  });

  it('a name of 50 bytes or more makes a fat ZAP at once', () => {
    const wp = pool();
    const z = wp.filesystem();
    const d = z.mkdir(z.rootObj, 'd');
    z.create(d, 'n'.repeat(49));
    wp.sync();
    expect(ZapReader.open(wp.dataset('dirs').objset.committed, d).kind).toBe('micro');
    z.create(d, 'n'.repeat(50));
    wp.sync();
    expect(ZapReader.open(wp.dataset('dirs').objset.committed, d).kind).toBe('fat');
  });
});

/// <reference types="node" />
// Damaged images: labels, uberblocks, block pointers, ZAPs and dnodes of a real zfs-fuse pool are
// corrupted (seeded); opening and walking must then either succeed (perhaps at an older txg) or
// fail with a KernelError — never another exception, never a hang.
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { KernelError } from '@osv-ts/kernel-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dsl } from '../src/dsl/dsl.js';
import {
  LABEL_SIZE,
  labelOffset,
  labelPsize,
  UBERBLOCK_RING_OFFSET,
  VDEV_LABEL_START_SIZE,
} from '../src/format/label.js';
import { openPool, readDeviceLabels } from '../src/pool/pool.js';
import { traversePool } from '../src/pool/traverse.js';
import { ZplFilesystem } from '../src/zpl/zpl.js';
import { FileBlockDevice } from './file-block-device.js';
import { OverlayDevice } from './overlay-device.js';
import { walkZpl } from './tree.js';
import { ZfsFuse } from './zfs-fuse.js';

const fuse = new ZfsFuse();
let vdev = '';
const metadataBlocks: { offset: number; psize: number; type: number }[] = [];

beforeAll(() => {
  fuse.start();
  try {
    vdev = join(fuse.dir, 'vd');
    writeFileSync(vdev, '');
    truncateSync(vdev, 64 * 1024 * 1024);
    const m = join(fuse.dir, 'm');
    fuse.zpool('create', '-o', 'ashift=9', '-m', m, 'osvdmg', vdev);
    for (let i = 0; i < 300; i++) writeFileSync(join(m, `f${i}`), `file ${i}\n`.repeat(i));
    fuse.zfs('snapshot', 'osvdmg@s');
    for (let i = 0; i < 50; i++) writeFileSync(join(m, `g${i}`), `g ${i}\n`);
    fuse.exportPool('osvdmg');
  } finally {
    fuse.stop();
  }
  const pool = openPool([new FileBlockDevice(vdev)]);
  traversePool(pool, {
    visit: (bp) => {
      if (bp.type !== 19)
        for (const d of bp.dva) if (d.asize) metadataBlocks.push({ offset: d.offset, psize: bp.psize, type: bp.type });
    },
  });
}, 300_000);

afterAll(() => fuse.cleanup());

/** Opens and walks everything; returns the txg used, or the KernelError. */
function exercise(dev: OverlayDevice): number | KernelError {
  try {
    const pool = openPool([dev], { arcBytes: 1 << 20 });
    const dsl = new Dsl(pool);
    for (const ds of dsl.list()) {
      try {
        walkZpl(new ZplFilesystem(dsl.objset(ds)));
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
      }
    }
    traversePool(pool);
    return pool.uberblock.txg;
  } catch (e) {
    if (e instanceof KernelError) return e;
    throw e;
  }
}

describe('damaged pool images', () => {
  it('falls back to an older uberblock when the newest is damaged in every label', () => {
    const base = new FileBlockDevice(vdev);
    const good = openPool([base]).uberblock;
    const dev = new OverlayDevice(base);
    const psize = labelPsize(base.sizeBytes);
    for (const u of readDeviceLabels(base).uberblocks.filter((x) => x.txg === good.txg)) {
      dev.flip(labelOffset(u.label, psize) + UBERBLOCK_RING_OFFSET + u.slot * 1024 + 16);
    }
    const older = openPool([dev]).uberblock;
    expect(older.txg).toBeLessThan(good.txg);
    expect(exercise(dev)).toBe(older.txg);
  });

  it('falls back to an older uberblock when every copy of the newest MOS objset is damaged', () => {
    const base = new FileBlockDevice(vdev);
    const good = openPool([base]).uberblock;
    const dev = new OverlayDevice(base);
    for (const d of good.rootbp.dva) if (d.asize) dev.flip(VDEV_LABEL_START_SIZE + d.offset + 7);
    const pool = openPool([dev]);
    expect(pool.uberblock.txg).toBeLessThan(good.txg);
  });

  it('opens with three of four labels destroyed', () => {
    const base = new FileBlockDevice(vdev);
    const dev = new OverlayDevice(base);
    const psize = labelPsize(base.sizeBytes);
    for (const l of [0, 1, 3]) dev.write(labelOffset(l, psize), new Uint8Array(LABEL_SIZE));
    expect(exercise(dev)).toBe(openPool([base]).uberblock.txg);
  });

  it('refuses a device whose every label is destroyed with EINVAL', () => {
    const base = new FileBlockDevice(vdev);
    const dev = new OverlayDevice(base);
    const psize = labelPsize(base.sizeBytes);
    for (const l of [0, 1, 2, 3]) dev.write(labelOffset(l, psize), new Uint8Array(LABEL_SIZE));
    const r = exercise(dev);
    expect(r).toBeInstanceOf(KernelError);
  });

  it('seeded random damage to labels and metadata blocks yields results or KernelErrors only', () => {
    const base = new FileBlockDevice(vdev);
    const psize = labelPsize(base.sizeBytes);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc
              .record({
                label: fc.integer({ min: 0, max: 3 }),
                at: fc.integer({ min: 16 * 1024, max: LABEL_SIZE - 1 }),
              })
              .map((x) => labelOffset(x.label, psize) + x.at),
            fc.record({ i: fc.nat(), at: fc.nat() }).map((x) => {
              const b = metadataBlocks[x.i % metadataBlocks.length]!;
              return VDEV_LABEL_START_SIZE + b.offset + (x.at % b.psize);
            }),
          ),
          { minLength: 1, maxLength: 40 },
        ),
        (offsets) => {
          const dev = new OverlayDevice(base);
          for (const o of offsets) dev.flip(o, 0x5a);
          const r = exercise(dev);
          expect(typeof r === 'number' || r instanceof KernelError).toBe(true);
        },
      ),
      { numRuns: 60, seed: 4242 },
    );
  });
});

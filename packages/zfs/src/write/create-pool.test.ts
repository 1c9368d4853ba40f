import { describe, expect, it } from 'vitest';
import { imageDir, imageFile, imageSymlink } from '@osv-ts/vfs';
import { createPool } from './create-pool.js';
import { openPool } from '../pool/pool.js';
import { Dsl } from '../dsl/dsl.js';
import { ZplFilesystem } from '../zpl/zpl.js';
import { traversePool } from '../pool/traverse.js';
import { MemoryBlockDevice } from '../../test/file-block-device.js';
import { firstDiff, fixedClock, pseudoRandom, seededEntropy } from '../../test/fixtures.js';

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('createPool', () => {
  it('writes a pool that the reader opens, verifies and reads back', () => {
    const big = pseudoRandom(1_000_000, 7);
    const many = imageDir(
      Array.from({ length: 3000 }, (_, i) => [`n${i}`, imageFile(`${i}`)] as [string, ReturnType<typeof imageFile>]),
    );
    const tree = imageDir([
      ['hello.txt', imageFile('hello\n')],
      ['empty', imageFile(new Uint8Array(0))],
      ['big.bin', imageFile(big)],
      [
        'd',
        imageDir([
          ['inner', imageFile('x'.repeat(5000))],
          ['link', imageSymlink('../hello.txt')],
        ]),
      ],
      ['longlink', imageSymlink('y'.repeat(200))],
      ['many', many],
    ]);
    for (const ashift of [9, 12]) {
      const dev = new MemoryBlockDevice('mem', new Uint8Array(64 * 1024 * 1024));
      createPool(dev, tree, {
        name: 'osvnew',
        clock: fixedClock,
        entropy: seededEntropy(ashift),
        ashift,
        compression: 3,
        snapshots: ['s1', 's2'],
        datasets: [
          { name: 'kid', tree: imageDir([['k.txt', imageFile('kid\n')]]), compression: 10, snapshots: ['k1'] },
          { name: 'kid2', tree: imageDir() },
        ],
      });
      const pool = openPool([dev]);
      expect(pool.name).toBe('osvnew');
      expect(pool.version).toBe(23);
      const dsl = new Dsl(pool);
      expect(dsl.list().map((d) => d.name)).toEqual([
        'osvnew',
        'osvnew@s1',
        'osvnew@s2',
        'osvnew/kid',
        'osvnew/kid@k1',
        'osvnew/kid2',
      ]);
      const kid = new ZplFilesystem(dsl.objset(dsl.find('osvnew/kid@k1')));
      expect(dec(kid.read(kid.resolve('/k.txt'), 0, 10))).toBe('kid\n');
      expect(dsl.properties(dsl.find('osvnew/kid').dirObj).get('compression')).toBe(10n);
      const snap = new ZplFilesystem(dsl.objset(dsl.find('osvnew@s1')));
      expect(dec(snap.read(snap.resolve('/hello.txt'), 0, 100))).toBe('hello\n');
      const fs = new ZplFilesystem(dsl.objset(dsl.find('osvnew')));
      expect(fs.version).toBe(4);
      expect(dec(fs.read(fs.resolve('/hello.txt'), 0, 100))).toBe('hello\n');
      expect(firstDiff(fs.read(fs.resolve('/big.bin'), 0, big.length), big)).toBe(-1);
      expect(fs.readlink(fs.resolve('/d/link'))).toBe('../hello.txt');
      expect(dec(fs.read(fs.resolve('/d/link', true), 0, 10))).toBe('hello\n');
      expect(fs.readlink(fs.resolve('/longlink'))).toBe('y'.repeat(200));
      expect(fs.readdir(fs.resolve('/many')).length).toBe(3000);
      expect(dec(fs.read(fs.lookup(fs.resolve('/many'), 'n2999').obj, 0, 10))).toBe('2999');
      expect(fs.stat(fs.rootObj).links).toBe(4);
      const stats = traversePool(pool);
      expect(pool.reader.stats.checksumErrors).toBe(0);
      expect(stats.objsets).toBe(7);
    }
  });
});

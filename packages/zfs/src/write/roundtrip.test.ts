// Property: any tree written by createPool reads back identically through ZfsVfs (names,
// types, contents, symlink targets, directory listings), including names that force fat ZAPs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  imageDir,
  imageFile,
  imageSymlink,
  O_DIRECTORY,
  O_RDONLY,
  Vfs,
  VType,
  type ImageDir,
  type ImageNode,
} from '@osv-ts/vfs';
import { createPool } from './create-pool.js';
import { openPool } from '../pool/pool.js';
import { Dsl } from '../dsl/dsl.js';
import { ZplFilesystem } from '../zpl/zpl.js';
import { ZfsVfs } from '../vfs/zfs-vfs.js';
import { MemoryBlockDevice } from '../../test/file-block-device.js';
import { fixedClock, seededEntropy } from '../../test/fixtures.js';

const nameArb = fc
  .oneof(
    fc.stringMatching(/^[a-zA-Z0-9_.\u00e9\u4e2d-]{1,12}$/),
    fc.stringMatching(/^[a-z]{50,70}$/), // too long for a microZAP entry
  )
  .filter((s) => s !== '.' && s !== '..');
const treeArb: fc.Arbitrary<ImageDir> = fc.letrec<{ dir: ImageDir; node: ImageNode }>((tie) => ({
  dir: fc.uniqueArray(fc.tuple(nameArb, tie('node')), { selector: (e) => e[0], maxLength: 6 }).map((e) => imageDir(e)),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .oneof(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 0, max: 300_000 }).map((n) => new Uint8Array(n).fill(n & 0xff)),
      )
      .map((d) => imageFile(d) as ImageNode),
    fc.stringMatching(/^[a-z/.]{1,120}$/).map((t) => imageSymlink(t) as ImageNode),
    tie('dir') as fc.Arbitrary<ImageNode>,
  ),
})).dir;

function check(vfs: Vfs, path: string, dir: ImageDir): void {
  const f = vfs.open(path || '/', O_RDONLY | O_DIRECTORY);
  const listed: string[] = [];
  for (let e = f.readdir(2); e; e = f.readdir(e.next)) listed.push(e.name);
  f.close();
  expect(listed.sort()).toEqual([...dir.children.keys()].sort());
  for (const [name, node] of dir.children) {
    const p = `${path}/${name}`;
    const st = vfs.lstat(p);
    if (node.kind === 'dir') {
      expect(st.type).toBe(VType.VDIR);
      check(vfs, p, node);
    } else if (node.kind === 'symlink') {
      expect(vfs.readlink(p)).toBe(node.target);
    } else {
      const data = node.data as Uint8Array;
      expect(st.size).toBe(data.length);
      const buf = new Uint8Array(data.length);
      const file = vfs.open(p, O_RDONLY);
      let at = 0;
      while (at < buf.length) {
        const n = file.read(buf.subarray(at));
        if (n === 0) break;
        at += n;
      }
      file.close();
      expect(at).toBe(data.length);
      let diff = -1;
      for (let i = 0; i < data.length; i++)
        if (buf[i] !== data[i]) {
          diff = i;
          break;
        }
      expect(diff).toBe(-1); // (toEqual on large typed arrays is very slow)
    }
  }
}

describe('createPool → ZfsVfs round trip', () => {
  it('reads back every generated tree', () => {
    const bytes = new Uint8Array(24 * 1024 * 1024);
    fc.assert(
      fc.property(treeArb, fc.constantFrom(9, 12), fc.constantFrom(2, 3, 6, 14), (tree, ashift, compression) => {
        bytes.fill(0);
        const dev = new MemoryBlockDevice('mem', bytes);
        createPool(dev, tree, {
          name: 'prop',
          clock: fixedClock,
          entropy: seededEntropy(ashift * 31 + compression),
          ashift,
          compression,
        });
        const pool = openPool([dev]);
        const dsl = new Dsl(pool);
        const vfs = new Vfs({ clock: fixedClock });
        vfs.mountRoot(new ZfsVfs(new ZplFilesystem(dsl.objset(dsl.find('prop'))), pool));
        check(vfs, '', tree);
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});

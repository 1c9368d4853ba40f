import { FormatError, KernelError } from '@osv-ts/kernel-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StepClock, dec, enc } from '../../../test/helpers.js';
import { type ImageDir, type ImageNode, imageDir, imageFile, imageSymlink } from '../../image/image-tree.js';
import { MemoryBlockDevice } from '../../memory-block-device.js';
import { O_DIRECTORY, O_RDONLY, O_WRONLY } from '../../open-flags.js';
import { Vfs } from '../../vfs.js';
import { VType } from '../../vtype.js';
import { Rofs } from './rofs.js';
import { writeRofs, writeRofsImage } from './rofs-writer.js';

function mountImage(image: Uint8Array, cacheBytes?: number): Vfs {
  const vfs = new Vfs({ clock: new StepClock() });
  vfs.mountRoot(new Rofs(new MemoryBlockDevice(image, 'vblk0.1', true), { cacheBytes }));
  return vfs;
}

/** The tree of the worked example in shared/reference/osv-rofs.md §4. */
function exampleTree(): ImageDir {
  const bin = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
  return imageDir([
    ['a.txt', imageFile('hello\n')],
    [
      'd',
      imageDir([
        ['b.bin', imageFile(bin)],
        ['l', imageSymlink('/a.txt')],
      ]),
    ],
    ['e', imageDir()],
  ]);
}

describe('ROFS writer', () => {
  it('lays out the worked example as gen-rofs-img.py does', () => {
    const r = writeRofs(exampleTree());
    const img = r.image;
    expect(img.length).toBe(2560);
    const v = new DataView(img.buffer);
    const u64 = (o: number) => Number(v.getBigUint64(o, true));
    expect([...img.subarray(0, 8)]).toEqual([0xad, 0xbe, 0xad, 0xde, 0, 0, 0, 0]);
    expect([u64(8), u64(16), u64(24), u64(32), u64(40), u64(48), u64(56)]).toEqual([1, 512, 4, 1, 5, 1, 6]);
    expect(img.subarray(64, 512).every((b) => b === 0)).toBe(true);
    expect(dec(img.subarray(512, 518))).toBe('hello\n');
    expect(img.subarray(518, 1024).every((b) => b === 0)).toBe(true);
    expect(img[1024 + 999]).toBe((999 * 7) & 0xff);
    expect(img.subarray(1024 + 1000, 2048).every((b) => b === 0)).toBe(true);
    // Dir entries: deeper directories first, the root's last.
    let p = 2048;
    const entries: [number, string][] = [];
    for (let i = 0; i < 5; i++) {
      const len = v.getUint16(p + 8, true);
      entries.push([u64(p), dec(img.subarray(p + 10, p + 10 + len))]);
      p += 10 + len;
    }
    expect(entries).toEqual([
      [4, 'b.bin'],
      [5, 'l'],
      [2, 'a.txt'],
      [3, 'd'],
      [6, 'e'],
    ]);
    expect(p - 2048).toBe(63);
    expect(v.getUint16(p, true)).toBe(6);
    expect(dec(img.subarray(p + 2, p + 8))).toBe('/a.txt');
    p += 8;
    const inodes: number[][] = [];
    for (let i = 0; i < 6; i++, p += 32) inodes.push([u64(p), u64(p + 8), u64(p + 16), u64(p + 24)]);
    // /e is an empty directory: its (empty) entry range starts at the table length when the
    // script wrote it, which is 2 (only /d's entries precede it).
    expect(inodes).toEqual([
      [0x4000, 1, 2, 3],
      [0x8000, 2, 1, 6],
      [0x4000, 3, 0, 2],
      [0x8000, 4, 2, 1000],
      [0xa000, 5, 0, 1],
      [0x4000, 6, 2, 0],
    ]);
    expect(p).toBe(2048 + 263);
    expect(img.subarray(p).every((b) => b === 0)).toBe(true);
  });

  it('pads a whole extra block when the tables end on a block boundary (as the script does)', () => {
    // 16 inodes * 32 = 512 bytes only if there are no entries: a root with 15 empty files
    // named so the entries fill exactly 512 more bytes is easier to reach by search.
    for (let n = 1; n < 40; n++) {
      for (let len = 1; len < 40; len++) {
        const tree = imageDir(
          Array.from(
            { length: n },
            (_, i) => [`${String(i).padStart(len, 'x')}`, imageSymlink('')] as [string, ImageNode],
          ),
        );
        const tableBytes = n * (10 + len) + n * 2 + (n + 1) * 32;
        if (tableBytes % 512 !== 0 || String(n - 1).length > len) continue;
        const r = writeRofs(tree);
        expect(r.structureInfoBlocksCount).toBe(tableBytes / 512);
        expect(r.image.length).toBe((1 + r.structureInfoBlocksCount + 1) * 512);
        return;
      }
    }
    throw new Error('no exact-fit layout found');
  });

  it('empty files take no blocks and point at the current block', () => {
    const r = writeRofs(
      imageDir([
        ['empty', imageFile('')],
        ['x', imageFile('x')],
      ]),
    );
    const v = new DataView(r.image.buffer);
    const inodeTable = r.structureInfoFirstBlock * 512 + 2 * 10 + 5 + 1;
    expect(Number(v.getBigUint64(inodeTable + 32 + 16, true))).toBe(1);
    expect(Number(v.getBigUint64(inodeTable + 64 + 16, true))).toBe(1);
    expect(r.structureInfoFirstBlock).toBe(2);
  });
});

describe('ROFS driver', () => {
  it('mounts the example and reads files, directories and symlinks', () => {
    const vfs = mountImage(writeRofsImage(exampleTree()));
    const f = vfs.open('/d/l', O_RDONLY);
    const b = new Uint8Array(32);
    expect(dec(b.subarray(0, f.read(b)))).toBe('hello\n');
    expect(vfs.readlink('/d/l')).toBe('/a.txt');
    expect(vfs.stat('/d/b.bin').size).toBe(1000);
    expect(vfs.stat('/d').mode).toBe(0o40555);
    expect(vfs.stat('/e').nlink).toBe(2);
    expect(vfs.stat('/').nlink).toBe(4);
    const big = new Uint8Array(1000);
    expect(vfs.open('/d/b.bin', O_RDONLY).pread(big.subarray(0, 333), 667)).toBe(333);
    expect(big[332]).toBe((999 * 7) & 0xff);
    expect(() => vfs.open('/a.txt', O_WRONLY)).toThrowError(/EROFS/);
    expect(() => vfs.mkdir('/x')).toThrowError(/EROFS/);
    const dir = vfs.open('/d/..', O_RDONLY | O_DIRECTORY);
    const names: string[] = [];
    for (let e = dir.readdir(0); e; e = dir.readdir(e.next)) names.push(e.name);
    expect(names).toEqual(['.', '..', 'a.txt', 'd', 'e']);
  });

  it('the read-around cache turns small sequential reads into one device request per 32 KiB', () => {
    const data = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
    const image = writeRofsImage(imageDir([['f', imageFile(data)]]));
    for (const [cacheBytes, maxRequests] of [
      [undefined, 4],
      [0, 1000],
    ] as const) {
      const dev = new MemoryBlockDevice(image, 'vblk0.1', true);
      const vfs = new Vfs({ clock: new StepClock() });
      vfs.mountRoot(new Rofs(dev, { cacheBytes }));
      const before = dev.readCount;
      const f = vfs.open('/f', O_RDONLY);
      const got = new Uint8Array(data.length);
      let n = 0;
      for (let k; (k = f.read(got.subarray(n, n + 100))) > 0;) n += k;
      expect(got).toEqual(data);
      expect(dev.readCount - before).toBe(maxRequests);
    }
  });

  it('works on a device with 4096-byte sectors (image padded to the sector size)', () => {
    const img = writeRofsImage(exampleTree());
    const padded = new Uint8Array(Math.ceil(img.length / 4096) * 4096);
    padded.set(img);
    for (const cacheBytes of [0, undefined]) {
      const vfs = new Vfs({ clock: new StepClock() });
      vfs.mountRoot(new Rofs(new MemoryBlockDevice(padded, 'nvme0', true, 4096), { cacheBytes }));
      expect(vfs.readFile('/d/b.bin')[999]).toBe((999 * 7) & 0xff);
      expect(dec(vfs.readFile('/d/l'))).toBe('hello\n');
    }
  });

  it('the segment cache stays within its capacity, evicting the least recently used', async () => {
    const { RofsSegmentCache } = await import('./rofs-cache.js');
    const c = new RofsSegmentCache(3 * 100);
    for (let i = 0; i < 3; i++) c.put(1, i, new Uint8Array(100));
    c.get(1, 0);
    c.put(1, 3, new Uint8Array(100));
    expect(c.sizeBytes).toBe(300);
    expect(c.get(1, 1)).toBeUndefined();
    expect(c.get(1, 0)).toBeDefined();
    expect(c.get(1, 3)).toBeDefined();
  });

  const nameArb = fc.stringMatching(/^[a-zA-Z0-9_.\u00e9-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
  const treeArb: fc.Arbitrary<ImageDir> = fc.letrec<{ dir: ImageDir; node: ImageNode }>((tie) => ({
    dir: fc
      .uniqueArray(fc.tuple(nameArb, tie('node')), { selector: (e) => e[0], maxLength: 5 })
      .map((entries) => imageDir(entries)),
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.uint8Array({ maxLength: 1500 }).map((d) => imageFile(d) as ImageNode),
      fc.stringMatching(/^[a-z/.]{1,20}$/).map((t) => imageSymlink(t) as ImageNode),
      tie('dir') as fc.Arbitrary<ImageNode>,
    ),
  })).dir;

  function checkTree(vfs: Vfs, path: string, dir: ImageDir): void {
    const f = vfs.open(path || '/', O_RDONLY | O_DIRECTORY);
    const listed: string[] = [];
    for (let e = f.readdir(2); e; e = f.readdir(e.next)) listed.push(e.name);
    f.close();
    expect(listed).toEqual([...dir.children.keys()]);
    for (const [name, node] of dir.children) {
      const p = `${path}/${name}`;
      const st = vfs.lstat(p);
      if (node.kind === 'dir') {
        expect(st.type).toBe(VType.VDIR);
        checkTree(vfs, p, node);
      } else if (node.kind === 'symlink') {
        expect(st.type).toBe(VType.VLNK);
        expect(vfs.readlink(p)).toBe(node.target);
      } else {
        expect(st.type).toBe(VType.VREG);
        const data = node.data as Uint8Array;
        const file = vfs.open(p, O_RDONLY);
        const got = new Uint8Array(data.length + 10);
        let n = 0;
        // Odd-sized reads exercise the unaligned path.
        for (let k; (k = file.read(got.subarray(n, Math.min(got.length, n + 97)))) > 0;) n += k;
        expect(n).toBe(data.length);
        expect(got.subarray(0, n)).toEqual(data);
      }
    }
  }

  it('reads back every random tree it wrote (round trip)', () => {
    fc.assert(
      fc.property(treeArb, fc.constantFrom(0, 40_000, undefined), (tree, cacheBytes) => {
        checkTree(mountImage(writeRofsImage(tree), cacheBytes), '', tree);
      }),
      { numRuns: 150 },
    );
  });

  it('rejects corrupted images with KernelError/FormatError only, in bounded time', () => {
    const base = writeRofsImage(exampleTree());
    let mounted = 0;
    let rejected = 0;
    const bigger = writeRofsImage(
      imageDir([...exampleTree().children, ['z', imageDir([['q', imageFile(new Uint8Array(3000))]])]]),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(base, bigger),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        fc.option(fc.nat(), { nil: undefined }),
        (img, edits, cut) => {
          const bytes = img.slice(0, cut === undefined ? img.length : Math.max(0, cut % (img.length + 1)));
          // Aim most edits at the superblock and the structure area (the last 512-1024 bytes).
          for (const [pos, val] of edits) {
            if (bytes.length === 0) break;
            const region = pos % 3;
            const at =
              region === 0 ? pos % 64 : region === 1 ? bytes.length - 1 - (pos % Math.min(1024, bytes.length)) : pos;
            bytes[at % bytes.length] = val;
          }
          const start = performance.now();
          try {
            const vfs = mountImage(bytes);
            mounted++;
            // A mount that succeeded must serve every name without anything but KernelErrors.
            walk(vfs, '/', 0);
          } catch (e) {
            if (!(e instanceof KernelError || e instanceof FormatError)) throw e;
            rejected++;
          }
          expect(performance.now() - start).toBeLessThan(2000);
        },
      ),
      { numRuns: 2000 },
    );
    // Both outcomes must occur, or the fuzzer is not reaching the parser.
    expect(rejected).toBeGreaterThan(200);
    expect(mounted).toBeGreaterThan(10);
  });
});

function walk(vfs: Vfs, path: string, depth: number): void {
  if (depth > 64) throw new Error('directory tree deeper than the image allows');
  const f = vfs.open(path, O_RDONLY | O_DIRECTORY);
  for (let e = f.readdir(2); e; e = f.readdir(e.next)) {
    const p = path === '/' ? `/${e.name}` : `${path}/${e.name}`;
    try {
      if (e.type === VType.VDIR) walk(vfs, p, depth + 1);
      else if (e.type === VType.VREG) {
        const file = vfs.open(p, O_RDONLY);
        file.read(new Uint8Array(4096));
      } else vfs.readlink(p);
    } catch (err) {
      if (!(err instanceof KernelError)) throw err;
    }
  }
}

void enc;

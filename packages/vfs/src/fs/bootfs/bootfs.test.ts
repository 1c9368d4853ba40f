import { FormatError } from '@osv-ts/kernel-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dec, enc, ramVfs } from '../../../test/helpers.js';
import { O_RDONLY } from '../../open-flags.js';
import { VType } from '../../vtype.js';
import { unpackBootfs } from './bootfs.js';
import { type BootfsEntry, parseBootfs, writeBootfs } from './bootfs-format.js';

const sample: BootfsEntry[] = [
  { kind: 'file', name: '/usr/lib/libx.so', data: enc('ELF...') },
  { kind: 'dir', name: '/tmp/' },
  { kind: 'symlink', name: '/etc/mnttab', target: '/proc/mounts' },
  { kind: 'file', name: '/empty', data: new Uint8Array(0) },
];

describe('bootfs', () => {
  it('writes mkbootfs.py records: QQb111s headers, a zero record, then data back to back', () => {
    const b = writeBootfs(sample);
    const v = new DataView(b.buffer);
    expect(b.length).toBe(5 * 128 + 6 + 0 + 13 + 0);
    expect(Number(v.getBigUint64(0, true))).toBe(6);
    expect(Number(v.getBigUint64(8, true))).toBe(640);
    expect(v.getInt8(16)).toBe(0);
    expect(dec(b.subarray(17, 17 + 16))).toBe('/usr/lib/libx.so');
    expect(b[17 + 16]).toBe(0);
    expect(dec(b.subarray(128 + 17, 128 + 22))).toBe('/tmp/');
    expect(v.getInt8(256 + 16)).toBe(1);
    expect(Number(v.getBigUint64(256 + 8, true))).toBe(646);
    expect(b.subarray(512, 640).every((x) => x === 0)).toBe(true);
    expect(dec(b.subarray(646, 646 + 13))).toBe('/proc/mounts\0');
    expect(parseBootfs(b)).toEqual(sample);
  });

  it('unpacks into the VFS with parent directories created', () => {
    const vfs = ramVfs();
    unpackBootfs(vfs, writeBootfs(sample));
    const f = vfs.open('/usr/lib/libx.so', O_RDONLY);
    const buf = new Uint8Array(10);
    expect(dec(buf.subarray(0, f.read(buf)))).toBe('ELF...');
    expect(vfs.stat('/tmp').type).toBe(VType.VDIR);
    expect(vfs.readlink('/etc/mnttab')).toBe('/proc/mounts');
    expect(vfs.stat('/empty').size).toBe(0);
  });

  it('refuses names over 110 bytes when writing', () => {
    expect(() => writeBootfs([{ kind: 'dir', name: '/' + 'x'.repeat(110) }])).toThrow(FormatError);
  });

  it('corrupted archives give FormatError or a valid parse, never another exception', () => {
    const base = writeBootfs(sample);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (edits, cut) => {
          const b = base.slice(0, cut % (base.length + 1));
          for (const [p, val] of edits) if (b.length) b[p % Math.min(b.length, 700)] = val;
          try {
            for (const e of parseBootfs(b))
              if (e.kind === 'file')
                expect(e.data.byteOffset + e.data.length).toBeLessThanOrEqual(b.byteOffset + b.length);
          } catch (e) {
            if (!(e instanceof FormatError)) throw e;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('populateFromTree, readFile, writeFile', () => {
  it('copies a tree under a prefix and reads it back whole', async () => {
    const { imageDir, imageFile, imageSymlink } = await import('../../image/image-tree.js');
    const { populateFromTree } = await import('./bootfs.js');
    const vfs = ramVfs();
    const big = new Uint8Array(10_000).map((_, i) => i & 0xff);
    populateFromTree(
      vfs,
      imageDir([
        [
          'share',
          imageDir([
            ['big', imageFile(big)],
            ['l', imageSymlink('big')],
            ['empty', imageDir()],
          ]),
        ],
      ]),
      '/opt',
    );
    expect(vfs.readFile('/opt/share/l')).toEqual(big);
    expect(vfs.stat('/opt/share/empty').type).toBe(VType.VDIR);
    vfs.writeFile('/opt/share/big', enc('short'));
    expect(dec(vfs.readFile('/opt/share/big'))).toBe('short');
  });
});

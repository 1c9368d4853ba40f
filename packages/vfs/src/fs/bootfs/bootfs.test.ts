import { FormatError } from '@osv-ts/kernel-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dec, enc, ramVfs } from '../../../test/helpers.js';
import { O_RDONLY, O_RDWR } from '../../open-flags.js';
import { VType } from '../../vtype.js';
import { RamFs } from '../ramfs/ramfs.js';
import { RAM_CHUNK_BYTES } from '../ramfs/ram-file-data.js';
import { unpackBootfs } from './bootfs.js';
import { type BootfsEntry, bootfsImage, parseBootfs, writeBootfs } from './bootfs-format.js';

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

  it('lays an archive out first and writes it into a buffer of its size, such as guest RAM', () => {
    const image = bootfsImage(sample);
    const ram = new Uint8Array(image.byteLength + 8).fill(0xee);
    image.writeInto(ram.subarray(4, 4 + image.byteLength));
    expect(ram.subarray(4, 4 + image.byteLength)).toEqual(writeBootfs(sample));
    expect([...ram.subarray(0, 4), ...ram.subarray(-4)]).toEqual(Array(8).fill(0xee));
    expect(() => image.writeInto(new Uint8Array(image.byteLength - 1))).toThrow(RangeError);
    expect(() => bootfsImage([{ kind: 'dir', name: 'x'.repeat(111) }])).toThrow(/must be 1\.\.110 bytes/);
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

  it('keepData: ramfs files keep their content in the archive, and behave as copied ones do (model)', () => {
    const size = 3 * RAM_CHUNK_BYTES + 1234; // three full chunks and a partial one
    const app = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.tuple(fc.constant('write' as const), fc.nat({ max: size + 100_000 }), fc.nat({ max: 70_000 })),
            fc.tuple(fc.constant('truncate' as const), fc.nat({ max: size + 100_000 }), fc.constant(0)),
          ),
          { maxLength: 8 },
        ),
        (ops) => {
          const archive = writeBootfs([{ kind: 'file', name: '/app.wasm', data: app }]);
          const vfs = ramVfs();
          unpackBootfs(vfs, archive, '', { keepData: true });
          let model = app.slice();
          const f = vfs.open('/app.wasm', O_RDWR);
          ops.forEach(([op, at, n], k) => {
            if (op === 'write') {
              const data = new Uint8Array(n).fill(k + 1);
              f.pwrite(data, at);
              // POSIX write(2): writing nothing changes nothing, even past the end of the file.
              if (n === 0) return;
              if (at + n > model.length) {
                const grown = new Uint8Array(at + n);
                grown.set(model);
                model = grown;
              }
              model.set(data, at);
            } else {
              f.truncate(at);
              const cut = new Uint8Array(at);
              cut.set(model.subarray(0, Math.min(at, model.length)));
              model = cut;
            }
          });
          const back = new Uint8Array(model.length);
          expect(f.pread(back, 0)).toBe(model.length);
          expect(back.findIndex((b, i) => b !== model[i])).toBe(-1); // toEqual is slow on 200 KB
        },
      ),
      { numRuns: 200 },
    );
    // Without a copy: a write to the file lands in the archive's own bytes (a full chunk).
    const archive = writeBootfs([{ kind: 'file', name: '/app.wasm', data: app }]);
    const vfs = ramVfs();
    unpackBootfs(vfs, archive, '', { keepData: true });
    const kept = vfs.open('/app.wasm', O_RDONLY).contentView();
    expect(kept?.buffer).toBe(archive.buffer); // the archive's own bytes, as a view
    expect([kept?.byteOffset, kept?.length]).toEqual([archive.byteOffset + 2 * 128, size]);
    vfs.open('/app.wasm', O_RDWR).pwrite(Uint8Array.of(0xab), 5);
    expect(archive[2 * 128 + 5]).toBe(0xab);
    expect(vfs.open('/app.wasm', O_RDONLY).contentView()).toBeUndefined(); // changed: no view
    expect(copiedView()).toBeUndefined();
    // And without keepData the archive is left alone.
    const other = writeBootfs([{ kind: 'file', name: '/app.wasm', data: app }]);
    const copied = ramVfs();
    unpackBootfs(copied, other);
    copied.open('/app.wasm', O_RDWR).pwrite(Uint8Array.of(0xab), 5);
    expect(other[2 * 128 + 5]).toBe(app[5]);
  });

  function copiedView(): Uint8Array | undefined {
    const vfs = ramVfs();
    unpackBootfs(vfs, writeBootfs(sample));
    return vfs.open('/usr/lib/libx.so', O_RDONLY).contentView();
  }

  it('keepData counts what it keeps against a ramfs size limit, as a write would', () => {
    const archive = writeBootfs([{ kind: 'file', name: '/big', data: new Uint8Array(2 * RAM_CHUNK_BYTES) }]);
    const vfs = ramVfs();
    const small = new RamFs({ maxBytes: RAM_CHUNK_BYTES });
    vfs.mkdir('/small');
    vfs.mount('/small', small);
    expect(() => unpackBootfs(vfs, archive, '/small', { keepData: true })).toThrow(/ENOSPC/);
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

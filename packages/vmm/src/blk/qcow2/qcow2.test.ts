// qcow2 read/write checked by QEMU's own tools (qemu-img check/compare/convert), and fuzzed
// headers and tables that must only ever give FormatError/Qcow2Error.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryImageFile, NodeImageFile } from '../image-file.js';
import { Qcow2Image } from './qcow2-image.js';

function qemuImg(args: string[]): { status: number; out: string } {
  const r = spawnSync('qemu-img', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`qemu-img is needed (scripts/setup-system.sh installs qemu-utils): ${r.error.message}`);
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'osv-qcow2-'));

describe('qcow2', () => {
  it('writes images that qemu-img check finds clean and qemu-img compare finds equal to a raw copy', () => {
    let run = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(9, 12, 16),
        fc.array(
          fc.record({
            zero: fc.boolean(),
            offset: fc.nat((24 << 20) - 1),
            length: fc.integer({ min: 1, max: 300_000 }),
            seed: fc.integer(),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        (clusterBits, ops) => {
          const size = 24 << 20;
          const raw = new Uint8Array(size);
          const path = join(dir, `w${run}.qcow2`);
          const rawPath = join(dir, `w${run++}.raw`);
          const file = NodeImageFile.create(path);
          const img = Qcow2Image.create(file, size, { clusterBits });
          for (const o of ops) {
            const length = Math.min(o.length, size - o.offset);
            if (o.zero) {
              img.writeZeroes(o.offset, length);
              raw.fill(0, o.offset, o.offset + length);
            } else {
              const data = pattern(length, o.seed);
              img.write(o.offset, data);
              raw.set(data, o.offset);
            }
          }
          const back = new Uint8Array(size);
          img.read(0, back);
          expect(Buffer.compare(back, raw)).toBe(0);
          file.close();
          writeFileSync(rawPath, raw);
          const check = qemuImg(['check', path]);
          expect(check.out).toContain('No errors were found');
          expect(check.status).toBe(0);
          const cmp = qemuImg(['compare', '-f', 'raw', '-F', 'qcow2', rawPath, path]);
          expect(cmp.out).toContain('Images are identical');
          expect(cmp.status).toBe(0);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('reads an image that qemu-img convert wrote, byte for byte', () => {
    const raw = new Uint8Array(8 << 20);
    raw.set(pattern(100_000, 5), 12345 * 2);
    raw.set(pattern(70_000, 9), 5 << 20);
    const rawPath = join(dir, 'src.raw');
    const qPath = join(dir, 'src.qcow2');
    writeFileSync(rawPath, raw);
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'cluster_size=4096', rawPath, qPath]);
    const img = Qcow2Image.open(NodeImageFile.open(qPath, true), true);
    expect(img.sizeBytes).toBe(raw.length);
    const back = new Uint8Array(raw.length);
    img.read(0, back);
    expect(Buffer.compare(back, raw)).toBe(0);
  });

  it('writes into an image qemu-img created, and qemu-img still checks it clean', () => {
    const qPath = join(dir, 'qemu-made.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qPath, '16M']);
    const file = NodeImageFile.open(qPath);
    const img = Qcow2Image.open(file);
    img.write(1 << 20, pattern(200_000, 3));
    img.writeZeroes(1 << 20, 65536);
    file.close();
    expect(qemuImg(['check', qPath]).status).toBe(0);
    const back = new Uint8Array(200_000);
    Qcow2Image.open(NodeImageFile.open(qPath, true), true).read(1 << 20, back);
    const want = pattern(200_000, 3);
    want.fill(0, 0, 65536);
    expect(Buffer.compare(back, want)).toBe(0);
  });

  it('refuses to write an image with internal snapshots, loudly, and reads it read-only', () => {
    const rawPath = join(dir, 'snap.raw');
    const qPath = join(dir, 'snap.qcow2');
    writeFileSync(rawPath, pattern(1 << 20, 5));
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', rawPath, qPath]);
    execFileSync('qemu-img', ['snapshot', '-c', 'before', qPath]);
    const file = NodeImageFile.open(qPath);
    expect(() => Qcow2Image.open(file)).toThrow(
      'the image has 1 internal snapshot, which osv-ts cannot write around; open it read-only, or remove them (qemu-img snapshot -l / -d)',
    );
    file.close();
    const ro = Qcow2Image.open(NodeImageFile.open(qPath, true), true);
    const back = new Uint8Array(1 << 20);
    ro.read(0, back);
    expect(Buffer.compare(back, pattern(1 << 20, 5))).toBe(0);
    expect(() => ro.write(0, new Uint8Array(512))).toThrow(/read-only/);
    expect(qemuImg(['check', qPath]).status).toBe(0);
  });

  it('clears autoclear feature bits it does not understand before its first write', () => {
    const f = new MemoryImageFile();
    Qcow2Image.create(f, 1 << 20);
    f.write(95, new Uint8Array([1])); // autoclear bit 0: a bitmaps extension QEMU would trust
    const img = Qcow2Image.open(f);
    img.read(0, new Uint8Array(512));
    expect(f.contents()[95]).toBe(1); // reading leaves it
    img.write(0, new Uint8Array(512).fill(3));
    expect(f.contents()[95]).toBe(0);
  });

  it('fuzzed headers and tables only ever give FormatError or Qcow2Error', () => {
    const base = new MemoryImageFile();
    const img = Qcow2Image.create(base, 1 << 20, { clusterBits: 9 });
    img.write(0, pattern(70_000, 1));
    img.write(600_000, pattern(5_000, 2));
    const pristine = base.contents().slice();
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(Math.min(pristine.length, 8192) - 1), value: fc.nat(255) }), {
          minLength: 1,
          maxLength: 12,
        }),
        (edits) => {
          const bytes = pristine.slice();
          for (const e of edits) bytes[e.at] = e.value;
          try {
            const f = new MemoryImageFile(bytes);
            const q = Qcow2Image.open(f);
            const buf = new Uint8Array(Math.min(q.sizeBytes, 1 << 20));
            q.read(0, buf);
            if (!q.readOnly && q.sizeBytes >= 4096) q.write(0, new Uint8Array(4096).fill(7));
          } catch (e) {
            expect(['FormatError', 'Qcow2Error']).toContain((e as Error).name);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('rejects a non-qcow2 file with a FormatError naming the magic', () => {
    expect(() => Qcow2Image.open(new MemoryImageFile(new Uint8Array(4096)))).toThrow(/qcow2: magic at offset 0/);
  });
});

// The MBR writer against the reader the kernel uses, and sfdisk's view of the same bytes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMbr } from '@osv-ts/drivers-virtio';
import { writeMbr } from './mbr-writer.js';
import { progressBar } from './progress-bar.js';

describe('writeMbr', () => {
  it('round-trips through parseMbr for any set of entries', () => {
    const entry = fc.record({
      type: fc.integer({ min: 1, max: 255 }),
      startSector: fc.integer({ min: 1, max: 2 ** 31 }),
      sectors: fc.integer({ min: 1, max: 2 ** 31 }),
      bootable: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(fc.option(entry, { nil: undefined }), { minLength: 4, maxLength: 4 }), (slots) => {
        const entries = slots.flatMap((e, index) => (e ? [{ index, ...e }] : []));
        const parsed = parseMbr(writeMbr(entries));
        expect(parsed).toEqual(
          entries.map((e) => ({
            index: e.index,
            bootable: e.bootable,
            type: e.type,
            startSector: e.startSector,
            sectors: e.sectors,
          })),
        );
      }),
    );
  });

  it('is what sfdisk reads', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'osv-mbr-')), 'disk.img');
    const disk = new Uint8Array(8 << 20);
    disk.set(
      writeMbr(
        [
          { index: 0, type: 0xda, startSector: 2048, sectors: 4096, bootable: true },
          { index: 1, type: 0x83, startSector: 6144, sectors: 10240 },
        ],
        0x12345678,
      ),
    );
    writeFileSync(path, disk);
    const r = spawnSync('sfdisk', ['-d', path], { encoding: 'utf8' });
    if (r.error) throw new Error(`sfdisk is needed (scripts/setup-system.sh installs fdisk): ${r.error.message}`);
    expect(r.stdout).toContain('label-id: 0x12345678');
    expect(r.stdout).toMatch(/disk\.img1 : start=\s+2048, size=\s+4096, type=da, bootable/);
    expect(r.stdout).toMatch(/disk\.img2 : start=\s+6144, size=\s+10240, type=83\n/);
  });
});

describe('progressBar', () => {
  it('draws on a terminal once per percent and ends the line at 100%', () => {
    let out = '';
    const bar = progressBar('writing', {
      isTTY: true,
      write: (s: string) => ((out += s), true),
    } as unknown as NodeJS.WriteStream);
    for (let i = 0; i <= 1000; i++) bar(i, 1000);
    expect(out.split('\r').length - 1).toBe(101);
    expect(out.endsWith('[##############################] 100%\n')).toBe(true);
  });

  it('stays silent when the stream is not a terminal', () => {
    let out = '';
    const bar = progressBar('writing', {
      isTTY: false,
      write: (s: string) => ((out += s), true),
    } as unknown as NodeJS.WriteStream);
    bar(5, 10);
    expect(out).toBe('');
  });
});

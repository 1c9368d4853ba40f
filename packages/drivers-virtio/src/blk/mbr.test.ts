// The MBR reader on arbitrary sector 0 contents: entries inside the disk, or a FormatError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMbr } from './mbr.js';

describe('parseMbr', () => {
  it('returns only entries inside the disk, or a FormatError, for any sector 0', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 512, maxLength: 512 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 2 ** 32 }),
        (sector, signed, diskSectors) => {
          if (signed) sector.set([0x55, 0xaa], 510);
          try {
            const parts = parseMbr(sector, diskSectors);
            if (!signed && !(sector[510] === 0x55 && sector[511] === 0xaa)) expect(parts).toEqual([]);
            for (const p of parts) {
              expect(p.startSector).toBeGreaterThan(0);
              expect(p.startSector + p.sectors).toBeLessThanOrEqual(diskSectors);
              expect(p.index).toBeGreaterThanOrEqual(0);
              expect(p.index).toBeLessThan(4);
            }
          } catch (e) {
            expect((e as Error).name).toBe('FormatError');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('names the entry and offset of a partition that reaches past the disk', () => {
    const s = new Uint8Array(512);
    s[510] = 0x55;
    s[511] = 0xaa;
    s[0x1ce + 4] = 0x83;
    new DataView(s.buffer).setUint32(0x1ce + 8, 100, true);
    new DataView(s.buffer).setUint32(0x1ce + 12, 100, true);
    expect(() => parseMbr(s, 150)).toThrow(/mbr: entry 1 extent at offset 470: sectors 100\+100 beyond the disk's 150/);
  });
});

// The boot record round-trips, and a damaged one is a FormatError naming the field, never a
// read outside the partition.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_IDENTITY_BYTES, readBootRecord, writeBootRecord } from './boot-record.js';

describe('boot record', () => {
  it('reads back what was written', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20_000 }),
        fc.string(),
        fc.uint8Array({ maxLength: 9000 }),
        fc.option(fc.string({ minLength: 1, maxLength: 3000, unit: 'grapheme' }), { nil: undefined }),
        (kernel, cmdline, bootfs, kernelIdentity) => {
          const bytes = writeBootRecord({ kernel, cmdline, bootfs, kernelIdentity });
          const back = readBootRecord((o, into) => into.set(bytes.subarray(o, o + into.length)), bytes.length);
          expect(back.kernel).toEqual(kernel);
          expect(back.cmdline).toBe(cmdline);
          expect(back.bootfs).toEqual(bootfs);
          expect(back.kernelIdentity).toBe(kernelIdentity);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('damaged headers give FormatError and never read outside the partition', () => {
    const good = writeBootRecord({
      kernel: new Uint8Array(5000).fill(1),
      cmdline: '/hello.wasm',
      bootfs: new Uint8Array(100),
      kernelIdentity: '{"format":"osv-ts-kernel/1"}',
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(79), value: fc.nat(255) }), { minLength: 1, maxLength: 8 }),
        (edits) => {
          const bytes = good.slice();
          for (const e of edits) bytes[e.at] = e.value;
          const read = (o: number, into: Uint8Array): void => {
            if (o < 0 || o + into.length > bytes.length)
              throw new Error(`read outside the partition: ${o}+${into.length}`);
            into.set(bytes.subarray(o, o + into.length));
          };
          try {
            readBootRecord(read, bytes.length);
          } catch (e) {
            expect((e as Error).name).toBe('FormatError');
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads a version 1 record (no identity section) with the identity undefined', () => {
    const v2 = writeBootRecord({ kernel: new Uint8Array(10).fill(7), cmdline: '/a.wasm', bootfs: new Uint8Array(0) });
    const v1 = v2.slice();
    new DataView(v1.buffer).setUint32(8, 1, true);
    v1.fill(0, 64, 80); // version 1 headers end at byte 64
    const back = readBootRecord((o, into) => into.set(v1.subarray(o, o + into.length)), v1.length);
    expect(back.cmdline).toBe('/a.wasm');
    expect(back.kernelIdentity).toBeUndefined();
  });

  it('refuses an identity that is not UTF-8 or is larger than MAX_IDENTITY_BYTES, naming the field', () => {
    const bytes = writeBootRecord({
      kernel: new Uint8Array(1),
      cmdline: '',
      bootfs: new Uint8Array(0),
      kernelIdentity: 'xx',
    });
    const at = Number(new DataView(bytes.buffer).getBigUint64(64, true));
    bytes[at] = 0xff;
    const read = (o: number, into: Uint8Array): void => into.set(bytes.subarray(o, o + into.length));
    expect(() => readBootRecord(read, bytes.length)).toThrow(/identity.*not UTF-8/);
    new DataView(bytes.buffer).setBigUint64(72, BigInt(MAX_IDENTITY_BYTES + 1), true);
    expect(() => readBootRecord(read, bytes.length)).toThrow(/identity.*at most 65536/);
  });
});

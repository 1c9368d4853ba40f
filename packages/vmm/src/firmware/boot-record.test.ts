// The boot record round-trips, and a damaged one is a FormatError naming the field, never a
// read outside the partition.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readBootRecord, writeBootRecord } from './boot-record.js';

describe('boot record', () => {
  it('reads back what was written', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20_000 }),
        fc.string(),
        fc.uint8Array({ maxLength: 9000 }),
        (kernel, cmdline, bootfs) => {
          const bytes = writeBootRecord({ kernel, cmdline, bootfs });
          const back = readBootRecord((o, into) => into.set(bytes.subarray(o, o + into.length)), bytes.length);
          expect(back.kernel).toEqual(kernel);
          expect(back.cmdline).toBe(cmdline);
          expect(back.bootfs).toEqual(bootfs);
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
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(63), value: fc.nat(255) }), { minLength: 1, maxLength: 8 }),
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
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FormatError } from '@osv-ts/kernel-api';
import { VirtualClock } from './clocks.js';
import { Tracer } from './tracer.js';
import { decodeOsvTraceDump, encodeOsvTraceDump, isOsvTraceDump } from './osv-trace-dump.js';
import { formatTrace } from './trace-format.js';
import type { TraceArgType, TracepointInfo, TraceRecord } from './trace-ring.js';

function sampleTrace(): { catalog: readonly TracepointInfo[]; records: TraceRecord[] } {
  const clock = new VirtualClock();
  const tracer = new Tracer(clock);
  tracer.enable('*');
  const req = tracer.tracepoint('virtio_req', 'queue=%u addr=%p len=%d ok=%d %s', ['u32', 'u64', 'i32', 'bool', 'str']);
  const load = tracer.tracepoint('load', 'avg=%g', ['f64']);
  clock.advanceTo(1_500_000_000);
  req.emit(2, 0xdead0000n, -5, true, 'hi');
  clock.advanceTo(2_000_000_123);
  load.emit(0.25);
  req.emit(0xffff_ffff, 0xffff_ffff_ffff_ffffn, -(2 ** 31), false, 'x'.repeat(80));
  return tracer.read();
}

describe('OSv trace dump', () => {
  it('lays out chunks and records as core/trace.cc writes them', () => {
    const { catalog, records } = sampleTrace();
    const dump = encodeOsvTraceDump(catalog, records.slice(0, 1), { threadName: () => 'main' });
    const view = new DataView(dump.buffer, dump.byteOffset, dump.byteLength);
    const text = (at: number, n: number): string => String.fromCharCode(...dump.subarray(at, at + n));
    // 'OSVT' as a native (little-endian) u32, its u64 size at 8, endian check and version 0.1.
    expect(text(0, 4)).toBe('TVSO');
    expect(view.getBigUint64(8, true)).toBe(BigInt(dump.length - 16));
    expect([view.getUint32(16, true), view.getUint32(20, true)]).toEqual([1, 1]);
    expect(text(24, 4)).toBe('DCRT');
    const trcs = dump.findIndex((_, i) => text(i, 4) === 'SCRT');
    expect(trcs % 8).toBe(0);
    const rec = trcs + 16;
    expect(view.getBigUint64(rec, true)).toBe(BigInt(catalog.find((t) => t.name === 'virtio_req')!.id + 1)); // key 0 would end the chunk
    expect(text(rec + 16, 5)).toBe('main\0');
    expect(view.getBigUint64(rec + 32, true)).toBe(1_500_000_000n);
    // Arguments from offset 48 in their natural alignment: I, then Q at 56, i, ?, then the
    // 50-byte Pascal string right after the bool.
    expect(view.getUint32(rec + 48, true)).toBe(2);
    expect(view.getBigUint64(rec + 56, true)).toBe(0xdead0000n);
    expect(view.getInt32(rec + 64, true)).toBe(-5);
    expect(dump[rec + 68]).toBe(1);
    expect([dump[rec + 69], text(rec + 70, 2)]).toEqual([2, 'hi']);
    expect(dump.length).toBe(rec + 69 + 50); // the chunk ends with the last record, unpadded
  });

  it('reads back what it wrote: names, threads, times and arguments (strings cut to 49 bytes)', () => {
    const { catalog, records } = sampleTrace();
    const back = decodeOsvTraceDump(encodeOsvTraceDump(catalog, records, { threadName: (id) => `t${id}` }));
    expect(back.records.map((r) => [r.name, r.timeNs, r.threadName, r.args])).toEqual([
      ['virtio_req', 1_500_000_000, 't0', [2, 0xdead0000n, -5, true, 'hi']],
      ['load', 2_000_000_123, 't0', [0.25]],
      ['virtio_req', 2_000_000_123, 't0', [0xffff_ffff, 0xffff_ffff_ffff_ffffn, -(2 ** 31), false, 'x'.repeat(49)]],
    ]);
    expect(back.catalog.map((t) => [t.name, t.format, t.args])).toEqual(catalog.map((t) => [t.name, t.format, t.args]));
    expect(formatTrace(back.records, back.catalog)).toContain(
      ' t0               0         1.500000000 virtio_req           queue=2 addr=0x00000000dead0000 len=-5 ok=1 hi\n',
    );
  });

  it('round-trips any records of any tracepoints (property)', () => {
    const types: TraceArgType[] = ['u32', 'i32', 'bool', 'f64', 'u64', 'str'];
    const argOf: Record<TraceArgType, fc.Arbitrary<number | bigint | boolean | string>> = {
      u32: fc.nat({ max: 0xffff_ffff }),
      i32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      bool: fc.boolean(),
      f64: fc.double({ noNaN: true }),
      u64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      str: fc.string({ unit: 'grapheme-ascii', maxLength: 49 }),
    };
    const tracepoint = fc.array(fc.constantFrom(...types), { maxLength: 6 });
    const trace = fc.array(tracepoint, { minLength: 1, maxLength: 4 }).chain((sigs) =>
      fc.tuple(
        fc.constant(sigs),
        fc.array(
          fc
            .nat({ max: sigs.length - 1 })
            .chain((i) =>
              fc.tuple(fc.constant(i), fc.nat({ max: 2 ** 40 }), fc.tuple(...sigs[i]!.map((t) => argOf[t]))),
            ),
          { maxLength: 20 },
        ),
      ),
    );
    fc.assert(
      fc.property(trace, ([sigs, recs]) => {
        const catalog = sigs.map((args, id) => ({ id, name: `tp${id}`, format: '', args }));
        const records = recs
          .map(([id, timeNs, args]) => ({ id, name: `tp${id}`, threadId: 7, timeNs, args }))
          .sort((a, b) => a.timeNs - b.timeNs);
        const back = decodeOsvTraceDump(encodeOsvTraceDump(catalog, records));
        expect(back.records.map((r) => [r.id, r.timeNs, r.threadId, r.args])).toEqual(
          records.map((r) => [r.id, r.timeNs, r.threadId, r.args]),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('reads what only OSv writes: other argument types, backtraces, other chunks, key 0', () => {
    // A dump of one tracepoint with signature "chq*f", whose record carries a 2-frame
    // backtrace, followed by a record with key 0 that ends the chunk.
    const b: number[] = [];
    const pad = (a: number): void => {
      while (b.length % a) b.push(0);
    };
    const u = (n: number, v: bigint): void => {
      pad(n);
      for (let i = 0; i < n; i++) b.push(Number((v >> BigInt(8 * i)) & 0xffn));
    };
    const str = (s: string): void => {
      u(2, BigInt(s.length));
      b.push(...[...s].map((c) => c.charCodeAt(0)));
    };
    const chunk = (tag: string, body: () => void): void => {
      pad(8);
      b.push(...[...tag].reverse().map((c) => c.charCodeAt(0))); // a little-endian FOURCC
      pad(8);
      const at = b.length;
      u(8, 0n);
      body();
      const size = BigInt(b.length - at - 8);
      for (let i = 0; i < 8; i++) b[at + i] = Number((size >> BigInt(8 * i)) & 0xffn);
    };
    chunk('OSVT', () => {
      u(4, 1n);
      u(4, 1n);
      chunk('TRCD', () => {
        u(4, 2n); // backtrace_len
        u(4, 1n);
        u(8, 0xffff_8000_0040_1000n);
        str('net_packet');
        str('net_packet');
        str('OSv');
        str('%c %d %d %s %f');
        u(4, 5n);
        for (const c of 'chq*f') {
          str('x');
          b.push(c.charCodeAt(0));
        }
      });
      chunk('MODS', () => u(4, 0n));
      chunk('TRCS', () => {
        u(8, 0xffff_8000_0040_1000n);
        u(8, 0xffff_8000_0123_4560n);
        b.push(...[...'worker\0\0\0\0\0\0\0\0\0\0'].map((c) => c.charCodeAt(0)));
        u(8, 42_000n);
        u(4, 1n);
        b.push(1, 0, 0, 0); // flags: backtrace
        u(8, 0x1234n);
        u(8, 0x5678n);
        b.push('Z'.charCodeAt(0));
        u(2, 0xfffen); // -2
        u(8, 0xffff_ffff_ffff_fff0n); // -16
        u(2, 2n);
        b.push(0xab, 0xcd);
        u(4, 0x3fc00000n); // 1.5 as a float
        pad(8);
        u(8, 0n);
        u(8, 0xdeadn); // never read: key 0 ended the chunk
      });
    });
    const bytes = new Uint8Array(b);
    expect(isOsvTraceDump(bytes)).toBe(true);
    const dump = decodeOsvTraceDump(bytes);
    expect(dump.records).toHaveLength(1);
    const [r] = dump.records;
    expect([r!.name, r!.threadKey, r!.threadName, r!.cpu, r!.timeNs, r!.args]).toEqual([
      'net_packet',
      0xffff_8000_0123_4560n,
      'worker',
      1,
      42_000,
      ['Z', -2, -16n, '{ab cd}', 1.5],
    ]);
    expect(formatTrace(dump.records, dump.catalog)).toBe(
      '0xffff800001234560 worker           1         0.000042000 net_packet           Z -2 -16 {ab cd} 1.500000\n',
    );
  });

  it('refuses damaged dumps with a FormatError, never another error (fuzz)', () => {
    const { catalog, records } = sampleTrace();
    const good = encodeOsvTraceDump(catalog, records);
    expect(() => decodeOsvTraceDump(new Uint8Array([1, 2, 3, 4]))).toThrow(/does not start with "OSVT"/);
    expect(() => decodeOsvTraceDump(good.subarray(0, 40))).toThrow(FormatError);
    fc.assert(
      fc.property(
        fc.nat({ max: good.length }),
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.nat({ max: 255 })), { maxLength: 8 }),
        (cut, flips) => {
          const bytes = good.slice(0, Math.max(4, cut));
          bytes.set([0x54, 0x56, 0x53, 0x4f]);
          for (const [at, v] of flips) if (at >= 4 && at < bytes.length) bytes[at] = v;
          try {
            decodeOsvTraceDump(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(FormatError);
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

/// <reference types="node" />
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { FormatError } from '@osv-ts/kernel-api';
import { VirtualClock } from './clocks.js';
import { Tracer } from './tracer.js';
import { TraceRing, readTraceRing } from './trace-ring.js';
import { matchesTracePattern, tracePatternToRegExp } from './trace-pattern.js';
import { toChromeTrace } from './chrome-trace.js';
import { formatTrace } from './trace-format.js';
import { Bootchart } from './bootchart.js';

describe('--trace=<pattern>', () => {
  it('translates OSv globs: * is .*, ? is one character, the whole name must match', () => {
    expect(tracePatternToRegExp('sched*').source).toBe('^(?:sched.*)$');
    expect(matchesTracePattern('sched_switch', 'sched*')).toBe(true);
    expect(matchesTracePattern('xsched_switch', 'sched*')).toBe(false);
    expect(matchesTracePattern('timer_fired', 'timer_?ired')).toBe(true);
    expect(matchesTracePattern('timer_fiired', 'timer_?ired')).toBe(false);
    expect(matchesTracePattern('virtio_blk_req', 'sched*,virtio*')).toBe(true);
    expect(matchesTracePattern('a.b', 'a?b')).toBe(true);
    expect(matchesTracePattern('axb', 'a.b')).toBe(false);
  });

  it('enables matching tracepoints, including ones created later, and leaves the rest free', () => {
    const tracer = new Tracer(new VirtualClock());
    const sw = tracer.tracepoint('sched_switch', 'to %u', ['u32']);
    const rd = tracer.tracepoint('vfs_read', 'fd=%d', ['i32']);
    expect(tracer.enable('sched*')).toBe(1);
    const wake = tracer.tracepoint('sched_wake', 'wake %u', ['u32']);
    expect([sw.enabled, rd.enabled, wake.enabled]).toEqual([true, false, true]);
    sw.emit(3);
    rd.emit(4);
    wake.emit(5);
    expect(tracer.records().map((r) => [r.name, r.args])).toEqual([
      ['sched_switch', [3]],
      ['sched_wake', [5]],
    ]);
  });
});

describe('tracepoint counters', () => {
  it('counts events without recording them, and records without counting, independently', () => {
    const tracer = new Tracer(new VirtualClock());
    const a = tracer.tracepoint('a_event', '%u', ['u32']);
    const b = tracer.tracepoint('b_event', '%u', ['u32']);
    a.counting = true;
    expect([a.enabled, b.enabled]).toEqual([true, false]);
    for (let i = 0; i < 5; i++) a.emit(i);
    b.emit(1);
    expect([a.count, b.count]).toEqual([5, 0]);
    expect(tracer.records()).toEqual([]);
    b.recording = true;
    b.emit(2);
    expect(b.count).toBe(0);
    expect(tracer.records().map((r) => r.name)).toEqual(['b_event']);
    a.counting = false;
    expect(a.enabled).toBe(false);
    a.emit(9);
    expect(a.count).toBe(5);
    a.counting = true;
    expect(a.count).toBe(0);
    expect(tracer.find('a_event')).toBe(a);
    expect(tracer.find('nope')).toBeUndefined();
    tracer.disable();
    expect([a.enabled, a.recording, b.enabled]).toEqual([true, false, false]);
  });
});

describe('TraceRing', () => {
  const argTypes = ['u32', 'i32', 'f64', 'u64', 'bool', 'str'] as const;

  it('round-trips records of every argument type across wrap-arounds, reporting what was overwritten', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
            fc.double({ noNaN: true }),
            fc.bigUint64Array({ minLength: 1, maxLength: 1 }),
            fc.boolean(),
            fc.string({ maxLength: 40 }),
          ),
          { maxLength: 300 },
        ),
        fc.integer({ min: 1, max: 50 }),
        (events, readEvery) => {
          const region = new Uint8Array(new SharedArrayBuffer(64 + 1024 + 4096));
          const ring = new TraceRing(region, { catalogBytes: 1024 });
          ring.writeCatalog([{ id: 1, name: 'all_types', format: '', args: argTypes }]);
          const seen: unknown[][] = [];
          let cursor: number | undefined;
          let lost = 0;
          const drain = () => {
            const r = readTraceRing(region, cursor === undefined ? {} : { fromCursor: cursor });
            cursor = r.nextCursor;
            lost += r.lostBytes;
            for (const rec of r.records) seen.push([...rec.args, rec.timeNs]);
          };
          events.forEach(([u, i, f, big, b, s], n) => {
            ring.write(1, 7, n, argTypes, [u >>> 0, i, f, big[0]!, b, s]);
            if (n % readEvery === 0) drain();
          });
          drain();
          // What was read is a subsequence of what was written, in order, each record intact.
          const written = events.map(([u, i, f, big, b, s], n) => [
            u >>> 0,
            i,
            Object.is(f, -0) ? -0 : f,
            big[0]!,
            b,
            truncateUtf8(s, 255),
            n,
          ]);
          const times = seen.map((r) => r[6] as number);
          for (const r of seen) expect(r).toEqual(written[r[6] as number]);
          expect(times).toEqual([...times].sort((a, b) => a - b));
          if (lost === 0) expect(seen).toHaveLength(events.length);
          else expect(seen.length).toBeLessThan(events.length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is read by another thread while the writer keeps writing, and never yields a torn record', async () => {
    const region = new Uint8Array(new SharedArrayBuffer(64 + 1024 + 8192));
    const ring = new TraceRing(region, { catalogBytes: 1024 });
    ring.writeCatalog([{ id: 1, name: 'seq', format: '%u %u %s', args: ['u32', 'u32', 'str'] }]);
    // Shared words: [0] stop, [1] reader started, [2] reads done.
    const control = new SharedArrayBuffer(12);
    const words = new Int32Array(control);
    // The reader thread runs this package's own decoder, bundled into a data: module.
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.module).then(({ readTraceRing }) => {
        const { region } = workerData;
        const words = new Int32Array(workerData.control);
        let cursor, reads = 0, records = 0, bad = 0, last = -1, lost = 0;
        Atomics.store(words, 1, 1);
        for (;;) {
          const stopping = Atomics.load(words, 0) === 1;
          const r = readTraceRing(region, cursor === undefined ? {} : { fromCursor: cursor });
          cursor = r.nextCursor; reads++; lost += r.lostBytes;
          Atomics.store(words, 2, reads);
          for (const rec of r.records) {
            const [seq, check, text] = rec.args;
            if (check !== Math.imul(seq, 2654435761) >>> 0 || text !== 'x'.repeat(seq % 50) || seq <= last) bad++;
            last = seq; records++;
          }
          if (stopping) break;
        }
        parentPort.postMessage({ reads, records, bad, lost, last });
      });
      `,
      { eval: true, workerData: { region, control, module: await ringModuleUrl() } },
    );
    let seqWritten = 0;
    const result = await new Promise<{ reads: number; records: number; bad: number; lost: number; last: number }>(
      (resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', resolve);
        let seq = 0;
        // Write while the reader reads: start when it has started, stop once it read many times.
        const writeBatch = (): void => {
          if (Atomics.load(words, 1) === 1) {
            for (let i = 0; i < 2000; i++, seq++)
              ring.write(
                1,
                1,
                seq,
                ['u32', 'u32', 'str'],
                [seq, Math.imul(seq, 2654435761) >>> 0, 'x'.repeat(seq % 50)],
              );
          }
          if (seq < 100_000 || Atomics.load(words, 2) < 50) setImmediate(writeBatch);
          else {
            seqWritten = seq;
            Atomics.store(words, 0, 1);
          }
        };
        writeBatch();
      },
    );
    await worker.terminate();
    expect(result.bad).toBe(0);
    expect(result.reads).toBeGreaterThanOrEqual(50);
    expect(result.last).toBe(seqWritten - 1);
    expect(result.records).toBeGreaterThan(0);
  }, 60_000);

  it('lives at an offset inside guest RAM, and the host reads it there', () => {
    const ram = new Uint8Array(new SharedArrayBuffer(1 << 16));
    const ring = new TraceRing(ram, { offset: 8192, length: 16384 });
    ring.writeCatalog([{ id: 3, name: 'irq', format: 'line %u', args: ['u32'] }]);
    ring.write(3, 9, 1234, ['u32'], [5]);
    expect(ram.subarray(0, 8192).every((b) => b === 0)).toBe(true);
    expect(new DataView(ram.buffer).getUint32(8192, true)).toBe(0x5456534f);
    const r = readTraceRing(ram, { offset: 8192, length: 16384 });
    expect(r.records).toEqual([{ id: 3, name: 'irq', threadId: 9, timeNs: 1234, args: [5] }]);
    expect(() => readTraceRing(ram, { offset: 60000, length: 16384 })).toThrow(FormatError);
  });

  it('rejects corrupted rings with a FormatError and never a bare RangeError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 63 }), fc.nat()), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.integer({ min: 0, max: 200 }),
        (pokes, records) => {
          const region = new Uint8Array(new SharedArrayBuffer(64 + 512 + 4096));
          const ring = new TraceRing(region, { catalogBytes: 512 });
          ring.writeCatalog([{ id: 1, name: 'x', format: '%u %s', args: ['u32', 'str'] }]);
          for (let i = 0; i < records; i++) ring.write(1, 0, i, ['u32', 'str'], [i, 'y'.repeat(i % 30)]);
          for (const [at, value] of pokes) region[at % region.length] = value;
          try {
            const r = readTraceRing(region);
            expect(Array.isArray(r.records)).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(FormatError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects a cursor that is not on a record boundary', () => {
    const region = new Uint8Array(new SharedArrayBuffer(8192));
    new TraceRing(region);
    region[20] = 1; // head = 1
    expect(() => readTraceRing(region)).toThrow(/head at offset 20/);
  });

  it('validates the header and reports the field and offset of a problem', () => {
    const region = new Uint8Array(new SharedArrayBuffer(8192));
    expect(() => readTraceRing(region)).toThrow(FormatError);
    new TraceRing(region);
    region[16] = 0xff; // dataBytes far larger than the region
    expect(() => readTraceRing(region)).toThrow(/dataBytes at offset 16/);
    expect(() => readTraceRing(region.subarray(4))).toThrow(/8-byte aligned/);
  });
});

describe('text listing', () => {
  it('prints records through their printf formats, as trace.py list does', () => {
    const clock = new VirtualClock();
    const tracer = new Tracer(clock);
    tracer.enable('*');
    const a = tracer.tracepoint('virtio_req', 'queue=%u addr=%p len=%d ok=%d %s 100%%', [
      'u32',
      'u64',
      'i32',
      'bool',
      'str',
    ]);
    const b = tracer.tracepoint('no_format', '', ['f64']);
    clock.advanceTo(1_500_000_000);
    a.emit(2, 0xdead0000n, -5, true, 'hi');
    b.emit(0.25);
    const { records, catalog } = tracer.read();
    expect(formatTrace(records, catalog)).toBe(
      // What trace.py list prints for the same records (its '0x%016x %-15s %2d %19s %-20s %s').
      '0x0000000000000000                  0         1.500000000 virtio_req           queue=2 addr=0x00000000dead0000 len=-5 ok=1 hi 100%\n' +
        '0x0000000000000000                  0         1.500000000 no_format            0.25\n',
    );
  });
});

describe('Chrome trace export and bootchart', () => {
  it('exports records as instant events in microseconds and boot stages as spans', () => {
    const clock = new VirtualClock();
    const tracer = new Tracer(clock);
    tracer.enable('*');
    const tp = tracer.tracepoint('virtio_blk_read', 'sector=%u', ['u32']);
    clock.advanceTo(2500);
    tp.emit(42);
    const chart = new Bootchart(100, tracer);
    chart.stamp('disk', 103.5);
    chart.stamp('app', 110);
    const json = toChromeTrace(tracer.records(), { bootchart: chart, threadNames: new Map([[0, 'app']]) });
    const parsed = JSON.parse(JSON.stringify(json)) as typeof json;
    expect(parsed.traceEvents[0]).toMatchObject({ ph: 'M', name: 'thread_name', args: { name: 'app' } });
    expect(parsed.traceEvents[1]).toMatchObject({ name: 'virtio_blk_read', ph: 'i', ts: 2.5, args: { arg0: 42 } });
    expect(parsed.traceEvents.filter((e) => e.name === 'boot_stage')).toHaveLength(2);
    expect(parsed.traceEvents.filter((e) => e.ph === 'X').map((e) => [e.name, e.ts, e.dur])).toEqual([
      ['disk', 0, 3500],
      ['app', 3500, 6500],
    ]);
    expect(chart.format()).toBe('\tdisk: 3.50ms, (+3.50ms)\n\tapp: 10.00ms, (+6.50ms)\n');
  });
});

function truncateUtf8(s: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(s);
  if (bytes.length <= maxBytes) return s;
  const dest = new Uint8Array(maxBytes);
  const { written } = new TextEncoder().encodeInto(s, dest);
  return new TextDecoder().decode(dest.subarray(0, written));
}

async function ringModuleUrl(): Promise<string> {
  // Bundle trace-ring.ts (and its kernel-api import) into one ESM module the worker can import.
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [new URL('./trace-ring.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    write: false,
    platform: 'neutral',
  });
  return `data:text/javascript;base64,${Buffer.from(out.outputFiles[0]!.text).toString('base64')}`;
}

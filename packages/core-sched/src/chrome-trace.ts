// Export to the Chrome trace-event JSON format ("Trace Event Format", Google, the format
// chrome://tracing and Perfetto's legacy importer read): one instant event ("ph":"i") per
// trace record, and one complete event ("ph":"X") per boot-chart stage. Timestamps are in
// microseconds, as the format requires.
import type { Bootchart } from './bootchart.js';
import type { TraceRecord } from './trace-ring.js';

export interface ChromeTraceEvent {
  name: string;
  cat: string;
  ph: 'i' | 'X' | 'M';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ns' | 'ms';
}

export interface ChromeTraceOptions {
  pid?: number;
  /** Names of threads by id, emitted as thread_name metadata events. */
  threadNames?: ReadonlyMap<number, string>;
  /** Boot stages to show as spans on their own track (tid 0 unless given). */
  bootchart?: Bootchart;
  /** Monotonic ns that correspond to the boot chart's origin, to align the two time bases. */
  bootOriginNs?: number;
}

export function toChromeTrace(records: readonly TraceRecord[], options: ChromeTraceOptions = {}): ChromeTrace {
  const pid = options.pid ?? 1;
  const events: ChromeTraceEvent[] = [];
  for (const [tid, name] of options.threadNames ?? []) {
    events.push({ name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid, tid, args: { name } });
  }
  for (const r of records) {
    const args: Record<string, unknown> = {};
    r.args.forEach((v, i) => (args[`arg${i}`] = typeof v === 'bigint' ? v.toString() : v));
    events.push({
      name: r.name,
      cat: r.name.split('_')[0] ?? 'trace',
      ph: 'i',
      s: 't',
      ts: r.timeNs / 1000,
      pid,
      tid: r.threadId,
      args,
    });
  }
  const chart = options.bootchart;
  if (chart !== undefined) {
    const originUs = (options.bootOriginNs ?? 0) / 1000;
    const stages = chart.entries;
    for (let i = 1; i < stages.length; i++) {
      const prev = stages[i - 1]!;
      const s = stages[i]!;
      events.push({
        name: s.name,
        cat: 'boot',
        ph: 'X',
        ts: originUs + (prev.atMs - stages[0]!.atMs) * 1000,
        dur: (s.atMs - prev.atMs) * 1000,
        pid,
        tid: 0,
      });
    }
  }
  return { traceEvents: events, displayTimeUnit: 'ns' };
}

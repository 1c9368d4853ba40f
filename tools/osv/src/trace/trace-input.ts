// The trace `osv trace` reads: an OSv trace dump (what /trace/buffers serves, osv-ts's or OSv's,
// or a file saved from it), a guest's raw trace ring (a copy of its RAM), or the Chrome trace
// JSON `osv run --trace-out` writes. All become the same records; the dump and the ring carry
// the tracepoints' formats, Chrome JSON only the values.
import {
  decodeOsvTraceDump,
  isOsvTraceDump,
  readTraceRing,
  type TracepointInfo,
  type TraceRecord,
} from '@osv-ts/core-sched';
import { FormatError } from '@osv-ts/kernel-api';

export interface TraceInput {
  readonly records: TraceRecord[];
  readonly catalog: readonly TracepointInfo[];
  /** Bytes of records the ring overwrote before it was read (raw input only). */
  readonly lostBytes: number;
}

export class TraceInputError extends Error {
  override readonly name = 'TraceInputError';
}

export function parseTraceInput(bytes: Uint8Array, what: string): TraceInput {
  let at = 0;
  while (at < bytes.length && (bytes[at] === 0x20 || bytes[at] === 0x0a || bytes[at] === 0x0d || bytes[at] === 0x09))
    at++;
  if (bytes[at] === 0x7b) return fromChromeJson(new TextDecoder().decode(bytes), what);
  if (isOsvTraceDump(bytes)) {
    try {
      return { ...decodeOsvTraceDump(bytes), lostBytes: 0 };
    } catch (e) {
      if (e instanceof FormatError) throw new TraceInputError(`${what}: a damaged OSv trace dump (${e.message})`);
      throw e;
    }
  }
  // The ring's words are read in place: give it an 8-byte aligned copy.
  const aligned = new Uint8Array(new ArrayBuffer(bytes.length));
  aligned.set(bytes);
  try {
    const r = readTraceRing(aligned);
    return { records: r.records, catalog: r.catalog, lostBytes: r.lostBytes };
  } catch (e) {
    if (e instanceof FormatError)
      throw new TraceInputError(
        `${what}: neither an OSv trace dump, a trace ring nor Chrome trace JSON (${e.message})`,
      );
    throw e;
  }
}

function fromChromeJson(text: string, what: string): TraceInput {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new TraceInputError(`${what}: not valid JSON: ${(e as Error).message}`);
  }
  const events = (doc as { traceEvents?: unknown }).traceEvents;
  if (!Array.isArray(events)) throw new TraceInputError(`${what}: Chrome trace JSON without a traceEvents array`);
  const ids = new Map<string, number>();
  const records: TraceRecord[] = [];
  for (const e of events as Record<string, unknown>[]) {
    if (e?.['ph'] !== 'i' || typeof e['name'] !== 'string' || typeof e['ts'] !== 'number') continue;
    const name = e['name'];
    if (!ids.has(name)) ids.set(name, ids.size);
    const args = typeof e['args'] === 'object' && e['args'] !== null ? Object.values(e['args']) : [];
    records.push({
      id: ids.get(name)!,
      name,
      threadId: typeof e['tid'] === 'number' ? e['tid'] : 0,
      timeNs: Math.round(e['ts'] * 1000),
      args: args.map((v) => (typeof v === 'number' || typeof v === 'boolean' ? v : String(v))),
    });
  }
  records.sort((a, b) => a.timeNs - b.timeNs);
  return { records, catalog: [], lostBytes: 0 };
}

/** What OSv's `scripts/trace.py summary` prints: the span, each CPU's time range, and the count
 *  of each tracepoint (by name). */
export function summarizeTrace(records: readonly TraceRecord[]): string {
  if (records.length === 0) return 'No samples\n';
  const counts = new Map<string, number>();
  const cpus = new Map<number, { min: number; max: number }>();
  let min = Infinity;
  let max = -Infinity;
  for (const r of records) {
    counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
    const cpu = cpus.get(r.cpu ?? 0) ?? { min: Infinity, max: -Infinity };
    cpus.set(r.cpu ?? 0, { min: Math.min(cpu.min, r.timeNs), max: Math.max(cpu.max, r.timeNs) });
    min = Math.min(min, r.timeNs);
    max = Math.max(max, r.timeNs);
  }
  const seconds = (ns: number): string => (ns / 1e9).toFixed(9).padStart(12);
  const ranges = [...cpus]
    .sort((a, b) => a[1].min - b[1].min)
    // trace.py's "CPU 0x%02d" prints the number in decimal after "0x"; kept, so output matches.
    .map(
      ([cpu, r]) =>
        `  CPU 0x${String(cpu).padStart(2, '0')}: ${seconds(r.min)} - ${seconds(r.max)} = ${duration(r.max - r.min).padStart(10)}\n`,
    );
  const rows = [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const width = Math.max(...rows.map(([n]) => n.length));
  const row = (name: string, count: string): string => `  ${name.padEnd(width)} ${count.padStart(8)}\n`;
  return (
    `Collected ${records.length} samples spanning ${duration(max - min)}\n\nTime ranges:\n\n${ranges.join('')}` +
    `\nTracepoint statistics:\n\n${row('name', 'count')}${row('----', '-----')}` +
    rows.map(([n, c]) => row(n, String(c))).join('') +
    '\n'
  );
}

/** osv/prof.py format_time: the largest unit the time reaches, "%.2f %s"; under 1 ns as is. */
function duration(ns: number): string {
  const units: [number, string][] = [
    [3600e9, 'h'],
    [60e9, 'm'],
    [1e9, 's'],
    [1e6, 'ms'],
    [1e3, 'us'],
    [1, 'ns'],
  ];
  for (const [level, name] of units) if (ns >= level) return `${(ns / level).toFixed(2)} ${name}`;
  return String(ns);
}

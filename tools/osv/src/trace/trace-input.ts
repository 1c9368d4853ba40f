// The trace `osv trace` reads: a guest's raw trace ring (what /trace/buffers serves, or a file
// saved from it), or the Chrome trace JSON `osv run --trace-out` writes. Both become the same
// records; only the raw ring carries the tracepoints' formats.
import { readTraceRing, type TracepointInfo, type TraceRecord } from '@osv-ts/core-sched';
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
  // The ring's words are read in place: give it an 8-byte aligned copy.
  const aligned = new Uint8Array(new ArrayBuffer(bytes.length));
  aligned.set(bytes);
  try {
    const r = readTraceRing(aligned);
    return { records: r.records, catalog: r.catalog, lostBytes: r.lostBytes };
  } catch (e) {
    if (e instanceof FormatError)
      throw new TraceInputError(`${what}: neither a trace ring nor Chrome trace JSON (${e.message})`);
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

/** trace.py summary's figures: the span, and the count of each tracepoint (most first). */
export function summarizeTrace(records: readonly TraceRecord[]): string {
  if (records.length === 0) return 'No samples\n';
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  const spanMs = (records.at(-1)!.timeNs - records[0]!.timeNs) / 1e6;
  const rows = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const width = Math.max(4, ...rows.map(([n]) => n.length));
  return (
    `Collected ${records.length} samples spanning ${spanMs.toFixed(2)} ms\n\nTracepoint statistics:\n\n` +
    `  ${'name'.padEnd(width)}  count\n  ${'----'.padEnd(width)}  -----\n` +
    rows.map(([n, c]) => `  ${n.padEnd(width)}  ${String(c).padStart(5)}\n`).join('')
  );
}

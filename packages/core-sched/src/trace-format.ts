// Text listing of trace records, one per line, as OSv's `scripts/trace.py list` prints them:
// thread (as 0x%016x), thread name, CPU, time in seconds, tracepoint name, then the arguments
// through the tracepoint's printf-style format.
import { tracePrintf } from './trace-printf.js';
import type { TracepointInfo, TraceRecord } from './trace-ring.js';

export function formatTraceRecord(record: TraceRecord, info?: TracepointInfo): string {
  const thread = (record.threadKey ?? BigInt(record.threadId)).toString(16).padStart(16, '0');
  const time = (record.timeNs / 1e9).toFixed(9).padStart(12);
  const data = info === undefined || info.format === '' ? record.args.join(' ') : tracePrintf(info.format, record.args);
  // trace.py: '0x%016x %-15s %2d %19s %-20s %s'
  return `0x${thread} ${(record.threadName ?? '').padEnd(15)} ${String(record.cpu ?? 0).padStart(2)} ${time.padStart(19)} ${record.name.padEnd(20)} ${data}`;
}

export function formatTrace(records: readonly TraceRecord[], catalog: readonly TracepointInfo[]): string {
  const byId = new Map(catalog.map((t) => [t.id, t]));
  return records.map((r) => formatTraceRecord(r, byId.get(r.id))).join('\n') + (records.length > 0 ? '\n' : '');
}

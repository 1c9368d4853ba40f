// Text listing of trace records, one per line, in the spirit of OSv's `scripts/trace.py list`:
// thread, time in seconds, tracepoint name, then the arguments printed through the
// tracepoint's printf-style format (%d %i %u %x %p %g %f %s %c; others print as-is).
import type { TracepointInfo, TraceRecord } from './trace-ring.js';

export function formatTraceRecord(record: TraceRecord, info?: TracepointInfo): string {
  const head = `${String(record.threadId).padStart(6)} ${(record.timeNs / 1e9).toFixed(9)} ${record.name.padEnd(20)}`;
  return info === undefined || info.format === ''
    ? `${head} ${record.args.join(' ')}`.trimEnd()
    : `${head} ${printf(info.format, record.args)}`;
}

export function formatTrace(records: readonly TraceRecord[], catalog: readonly TracepointInfo[]): string {
  const byId = new Map(catalog.map((t) => [t.id, t]));
  return records.map((r) => formatTraceRecord(r, byId.get(r.id))).join('\n') + (records.length > 0 ? '\n' : '');
}

function printf(format: string, args: readonly (number | bigint | boolean | string)[]): string {
  let i = 0;
  return format.replace(/%(?:l{0,2}|z)?([diuxXpgfsc%])/g, (whole, conv: string) => {
    if (conv === '%') return '%';
    if (i >= args.length) return whole;
    const v = args[i++]!;
    switch (conv) {
      case 'x':
      case 'X':
      case 'p': {
        const hex = (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)) >>> 0)).toString(16);
        return conv === 'p' ? `0x${hex}` : conv === 'X' ? hex.toUpperCase() : hex;
      }
      case 'c':
        return typeof v === 'number' ? String.fromCharCode(v) : String(v);
      case 'g':
      case 'f':
        return typeof v === 'number' ? String(v) : String(v);
      default:
        return typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
    }
  });
}

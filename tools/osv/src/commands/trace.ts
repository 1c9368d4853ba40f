// `osv trace list|summary|chrome`: a guest's trace, fetched from its REST API (/trace/buffers)
// or read from a file, printed as OSv's scripts/trace.py prints it or written as Chrome trace
// JSON (chrome://tracing, Perfetto).
import { readFileSync, writeFileSync } from 'node:fs';
import { formatTrace, toChromeTrace } from '@osv-ts/core-sched';
import { ApiClient, ApiUnreachableError } from '../shell/api-client.js';
import { TraceInputError, parseTraceInput, summarizeTrace, type TraceInput } from '../trace/trace-input.js';
import { CliError, UsageError, describeSystemError } from '../cli-error.js';
import { checkOutputPath } from '../image/host-files.js';

export const TRACE_USAGE = `usage: osv trace list [FILE | --api URL]
       osv trace summary [FILE | --api URL]
       osv trace chrome [FILE | --api URL] -o OUT.json

Reads a guest's trace: the OSv trace dump a running guest serves at /trace/buffers (--api URL,
or $OSV_API; OSv's own guests too), a file saved from it, a copy of a guest's raw trace ring, or
the Chrome trace JSON osv run --trace-out wrote.

  list     one line per record as OSv's trace.py list: thread, name, CPU, seconds, tracepoint,
           its arguments
  summary  the number of records of each tracepoint and the time they span
  chrome   write Chrome trace JSON (chrome://tracing, ui.perfetto.dev)

options:
  -a, --api URL   the guest's REST API (osv run --api); default $OSV_API, else FILE is needed
  -o FILE         where chrome writes its JSON
  -h, --help      this text
`;

export async function traceCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(TRACE_USAGE);
    return 0;
  }
  const [action, ...rest] = argv;
  if (action !== 'list' && action !== 'summary' && action !== 'chrome')
    throw new UsageError(
      action === undefined
        ? 'trace: list, summary or chrome? (osv trace --help)'
        : `trace: unknown action '${action}' (list, summary, chrome)`,
    );
  let file: string | undefined;
  let api: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`trace: ${a} needs a value`);
      return v;
    };
    if (a === '-a' || a === '--api') api = value();
    else if (a.startsWith('--api=')) api = a.slice('--api='.length);
    else if (a === '-o' || a === '--output') output = value();
    else if (a.startsWith('-')) throw new UsageError(`trace: unknown option '${a}' (osv trace --help)`);
    else if (file === undefined) file = a;
    else throw new UsageError(`trace: unexpected argument '${a}'`);
  }
  if (file !== undefined && api !== undefined) throw new UsageError('trace: give a FILE or --api, not both');
  if (action === 'chrome') {
    if (output === undefined) throw new UsageError('trace chrome needs -o OUT.json');
    checkOutputPath(output, '-o');
  } else if (output !== undefined) throw new UsageError(`trace ${action}: -o applies to chrome only`);
  api ??= file === undefined ? process.env.OSV_API || undefined : undefined;
  if (file === undefined && api === undefined)
    throw new UsageError('trace: give a trace FILE, or --api URL of a running guest (osv run --api)');
  const input = file !== undefined ? readTraceFile(file) : await fetchTrace(api!);
  if (input.lostBytes > 0)
    process.stderr.write(`osv: ${input.lostBytes} bytes of older records were overwritten before the trace was read\n`);
  if (action === 'list') process.stdout.write(formatTrace(input.records, input.catalog));
  else if (action === 'summary') process.stdout.write(summarizeTrace(input.records));
  else {
    try {
      writeFileSync(output!, JSON.stringify(toChromeTrace(input.records)));
    } catch (e) {
      throw new CliError(`-o ${output}: ${describeSystemError(e)}`);
    }
    process.stderr.write(`osv: wrote ${input.records.length} trace records to ${output}\n`);
  }
  return 0;
}

function readTraceFile(path: string): TraceInput {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CliError(`trace: ${path}: ${describeSystemError(e)}`);
  }
  try {
    return parseTraceInput(bytes, path);
  } catch (e) {
    if (e instanceof TraceInputError) throw new CliError(`trace: ${e.message}`);
    throw e;
  }
}

async function fetchTrace(url: string): Promise<TraceInput> {
  try {
    const r = await new ApiClient({ url }).request('GET', '/trace/buffers');
    if (r.status !== 200)
      throw new CliError(
        `trace: ${url}/trace/buffers: HTTP ${r.status}${r.status === 404 ? ' (a guest without the trace routes, or a monitoring API)' : ''}`,
      );
    return parseTraceInput(r.raw, `${url}/trace/buffers`);
  } catch (e) {
    if (e instanceof ApiUnreachableError) throw new CliError(`trace: ${e.message}`);
    if (e instanceof TraceInputError) throw new CliError(`trace: ${e.message}`);
    throw e;
  }
}

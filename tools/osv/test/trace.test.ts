// `osv trace`: an OSv trace dump (a file, or /trace/buffers of a REST API), a guest's raw trace
// ring and the Chrome trace JSON of osv run --trace-out, listed, summarised and converted.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceRing, encodeOsvTraceDump, readTraceRing } from '@osv-ts/core-sched';
import { CLI, example, osv } from './osv-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-trace-'));

/** A trace ring as a guest leaves it in RAM: two tracepoints, three records. */
function ringBytes(): Uint8Array {
  const region = new Uint8Array(new SharedArrayBuffer(64 * 1024));
  const ring = new TraceRing(region, { catalogBytes: 1024 });
  ring.writeCatalog([
    { id: 1, name: 'vfs_open', format: 'path=%s flags=%x', args: ['str', 'u32'] },
    { id: 2, name: 'sched_switch', format: 'to %u', args: ['u32'] },
  ]);
  ring.write(1, 3, 1_000_000, ['str', 'u32'], ['/etc/hosts', 0x241]);
  ring.write(2, 3, 1_500_000, ['u32'], [4]);
  ring.write(2, 4, 3_000_000, ['u32'], [3]);
  return new Uint8Array(region);
}

/** The same records as /trace/buffers serves them: an OSv trace dump, thread 3 named. */
function dumpBytes(): Uint8Array {
  const { catalog, records } = readTraceRing(ringBytes());
  return encodeOsvTraceDump(catalog, records, { threadName: (id) => (id === 3 ? 'main' : undefined) });
}

describe('osv trace', () => {
  const raw = join(dir, 'buffers.bin');
  writeFileSync(raw, ringBytes());

  const dump = join(dir, 'dump.bin');
  writeFileSync(dump, dumpBytes());

  it('lists an OSv trace dump as trace.py list does, and a raw ring the same way', () => {
    const list = osv(['trace', 'list', dump]);
    expect(list.stderr).toBe('');
    // trace.py list: '0x%016x %-15s %2d %19s %-20s %s' — thread, name, CPU, seconds, tracepoint.
    expect(list.stdout.toString()).toBe(
      '0x0000000000000003 main             0         0.001000000 vfs_open             path=/etc/hosts flags=241\n' +
        '0x0000000000000003 main             0         0.001500000 sched_switch         to 4\n' +
        '0x0000000000000004                  0         0.003000000 sched_switch         to 3\n',
    );
    expect(osv(['trace', 'list', raw]).stdout.toString()).toBe(list.stdout.toString().replaceAll('main', '    '));
    // What trace.py summary prints for the same dump.
    expect(osv(['trace', 'summary', dump]).stdout.toString()).toBe(
      'Collected 3 samples spanning 2.00 ms\n\nTime ranges:\n\n' +
        '  CPU 0x00:  0.001000000 -  0.003000000 =    2.00 ms\n\nTracepoint statistics:\n\n' +
        '  name            count\n  ----            -----\n  sched_switch        2\n  vfs_open            1\n\n',
    );
  });

  it('writes Chrome trace JSON, and reads back osv run --trace-out', () => {
    const out = join(dir, 'ring.json');
    expect(osv(['trace', 'chrome', raw, '-o', out]).stderr).toBe(`osv: wrote 3 trace records to ${out}\n`);
    const events = (JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { name: string; ts: number }[] })
      .traceEvents;
    expect(events.map((e) => [e.name, e.ts])).toEqual([
      ['vfs_open', 1000],
      ['sched_switch', 1500],
      ['sched_switch', 3000],
    ]);
    const runOut = join(dir, 'run.json');
    expect(osv(['run', '--trace', 'wasi_call', '--trace-out', runOut, example('hello')]).status).toBe(0);
    const summary = osv(['trace', 'summary', runOut]).stdout.toString();
    expect(summary).toMatch(/^Collected [1-9]\d* samples spanning [\d.]+ ms\n/);
    expect(summary).toMatch(/\n {2}wasi_call +[1-9]\d*\n/);
  });

  it('fetches /trace/buffers from a guest’s API', async () => {
    const bytes = dumpBytes();
    const server = createServer((req, res) => {
      if (req.url === '/trace/buffers') res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(bytes);
      else res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"Not found","code":404}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'trace', 'summary', '--api', `http://127.0.0.1:${port}`]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (status) => resolve({ status, out }));
    });
    server.close();
    expect(r).toEqual({ status: 0, out: expect.stringMatching(/^Collected 3 samples spanning 2\.00 ms\n/) });
  });

  it('refuses what it cannot read in one line', () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'not a trace at all');
    expect(osv(['trace', 'list', junk])).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(
        /^osv: trace: .*junk\.bin: neither an OSv trace dump, a trace ring nor Chrome trace JSON/,
      ),
    });
    const damaged = join(dir, 'damaged.bin');
    writeFileSync(damaged, dumpBytes().subarray(0, 100));
    expect(osv(['trace', 'list', damaged])).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/^osv: trace: .*damaged\.bin: a damaged OSv trace dump \(.*\)\n$/),
    });
    expect(osv(['trace', 'chrome', raw])).toMatchObject({ status: 2, stderr: 'osv: trace chrome needs -o OUT.json\n' });
    expect(osv(['trace', 'draw', raw])).toMatchObject({
      status: 2,
      stderr: "osv: trace: unknown action 'draw' (list, summary, chrome)\n",
    });
  });
});

// The guest's output on the host behaves as a Unix tool's: a reader that goes away ends the run
// quietly (SIGPIPE's status, as `cat` ends), and a write the host cannot complete reaches the
// app as errno and shows in the exit status, with real pipes and /dev/full.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, example, osv } from './osv-cli.js';

/** WASI preview1's errno for ENOSPC. */
const WASI_ENOSPC = 51;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function exited(child: ReturnType<typeof spawn>): Promise<Exit> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

describe('host output', () => {
  // Writes 64 MB to stdout; the first fd_write that fails ends it with the errno as status.
  const big = example('big-output');

  it('`osv run big-output.wasm | head -c 10` ends quietly with SIGPIPE’s status', async () => {
    const head = spawn('head', ['-c', '10'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let got = Buffer.alloc(0);
    head.stdout.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
    const run = spawn(process.execPath, [CLI, 'run', big], { stdio: ['ignore', head.stdin, 'pipe'] });
    const [result] = await Promise.all([exited(run), new Promise((r) => head.on('close', r))]);
    expect(got.length).toBe(10);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(141);
  }, 60_000);

  it('a write to /dev/full fails in the app with ENOSPC, and the run says so', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const run = spawn(process.execPath, [CLI, 'run', big], { stdio: ['ignore', full, 'pipe'] });
      const result = await exited(run);
      expect(result.code).toBe(WASI_ENOSPC);
      expect(result.stderr).toBe('osv: write error on stdout: ENOSPC: no space left on device\n');
    } finally {
      closeSync(full);
    }
  }, 60_000);

  it('output lost at exit does not end in status 0, even when the app ignored it', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      // hello writes with printf and returns 0: the failed write happens as stdio flushes at exit.
      const run = spawn(process.execPath, [CLI, 'run', example('hello')], { stdio: ['ignore', full, 'pipe'] });
      const result = await exited(run);
      expect(result.stderr).toBe('osv: write error on stdout: ENOSPC: no space left on device\n');
      expect(result.code).toBe(1);
    } finally {
      closeSync(full);
    }
  }, 60_000);

  it('the CLI’s own output to a pipe whose reader is gone ends quietly', () => {
    // A pipe with its read end closed before osv starts (Python makes one: os.pipe()).
    const script = [
      'import os, subprocess, sys',
      'r, w = os.pipe()',
      'os.close(r)',
      'p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)',
      'sys.stdout.write(f"{p.returncode}\\n{p.stderr.decode()}")',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, process.execPath, CLI, 'help', 'run'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^(0|141)\n$/); // the status, and nothing on stderr
  });

  it('output that reaches its reader is byte-exact and ends in the app’s status', () => {
    const r = osv(['run', big]);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(65536 * 1000);
  });
});

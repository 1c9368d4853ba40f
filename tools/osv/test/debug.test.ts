// osv run -d: the vCPU worker opens its own inspector and waits; a debugger (here `node
// inspect`) attaches, finds it paused before the kernel, continues, and the app runs.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, example } from './osv-cli.js';

function collect(stream: NodeJS.ReadableStream): {
  text: () => string;
  waitFor: (re: RegExp, ms: number) => Promise<void>;
} {
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return {
    text: () => text,
    waitFor: (re, ms) =>
      new Promise((resolve, reject) => {
        const until = Date.now() + ms;
        const poll = (): void => {
          if (re.test(text)) resolve();
          else if (Date.now() > until) reject(new Error(`timed out waiting for ${re} in:\n${text}`));
          else setTimeout(poll, 50);
        };
        poll();
      }),
  };
}

describe('osv run -d', () => {
  it('waits for a debugger, stops before the kernel, and runs the app after `cont`', async () => {
    const port = 20000 + (process.pid % 20000);
    const guest = spawn(process.execPath, [CLI, 'run', '-d', example('hello'), 'dbg'], {
      env: { ...process.env, OSV_INSPECT_PORT: String(port) },
    });
    const out = collect(guest.stdout);
    const err = collect(guest.stderr);
    const exited = new Promise<number | null>((r) => guest.on('exit', r));
    try {
      await err.waitFor(/Debugger listening on ws:\/\/127\.0\.0\.1:\d+/, 30_000);
      expect(err.text()).toMatch(new RegExp(`node inspect 127\\.0\\.0\\.1:${port}`));
      // Nothing runs until a debugger is attached.
      await new Promise((r) => setTimeout(r, 500));
      expect(out.text()).toBe('');
      const dbg = spawn(process.execPath, ['inspect', `127.0.0.1:${port}`]);
      const dbgOut = collect(dbg.stdout);
      await dbgOut.waitFor(/break in .*\n[\s\S]*debugger;/, 30_000);
      dbg.stdin.write('cont\n');
      await out.waitFor(/argv\[1\] = dbg\n/, 30_000);
      // Like node --inspect, the process stays until the debugger lets go.
      dbg.stdin.end('.exit\n');
      expect(await exited).toBe(0);
      expect(out.text()).toBe('Hello from osv-ts!\nargv[0] = hello.wasm\nargv[1] = dbg\n');
    } finally {
      guest.kill('SIGKILL');
    }
  }, 90_000);
});

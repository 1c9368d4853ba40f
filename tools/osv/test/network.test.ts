// The guest as a host on a network: httpd.wasm (C, wasi-libc, sock_accept on the listener the
// kernel hands over as fd 3) behind passt's user-mode networking, fetched from the host.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, example, tempFile } from './osv-cli.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function fetchRetrying(url: string, deadlineMs: number): Promise<Response> {
  for (;;) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(5000) });
    } catch (e) {
      if (Date.now() > deadlineMs) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('networking (passt, --forward, --tcplisten)', () => {
  it('serves HTTP from the guest to the host through a forwarded port, files included', async () => {
    const port = await freePort();
    const payload = Buffer.alloc(200_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 13) & 0xff;
    const data = tempFile('payload.bin', payload);
    const manifest = tempFile('net.manifest', `/srv/payload.bin: ${data}\n`);
    writeFileSync(manifest, `/srv/payload.bin: ${data}\n`);
    const child = spawn(process.execPath, [CLI, 'run', '-n', '--forward', `tcp:${port}:80`, '--tcplisten', '0.0.0.0:80', '--manifest', manifest, example('httpd'), '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const hello = await fetchRetrying(`http://127.0.0.1:${port}/`, Date.now() + 30_000);
      expect(hello.status).toBe(200);
      expect(await hello.text()).toBe('Hello from osv-ts httpd!\n');
      const file = await fetch(`http://127.0.0.1:${port}/srv/payload.bin`);
      expect(file.status).toBe(200);
      expect(Buffer.from(await file.arrayBuffer()).equals(payload)).toBe(true);
      const curl = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/missing`], { encoding: 'utf8' });
      expect(curl).toBe('404');
      expect(await exited).toBe(0); // served its 3 connections and exited
    } finally {
      child.kill('SIGKILL');
    }
    expect(stderr).toMatch(/httpd: serving on fd 3/);
  }, 90_000);
});

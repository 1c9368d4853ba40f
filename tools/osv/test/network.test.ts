// The guest as a host on a network: httpd.wasm (C, wasi-libc, sock_accept on the listener the
// kernel hands over as fd 3) behind passt's user-mode networking, fetched from the host.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, curl, curlRetrying, example, tempFile } from './osv-cli.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('networking (passt, --forward, --tcplisten)', () => {
  it('serves HTTP from the guest to the host through a forwarded port, files included', async () => {
    const port = await freePort();
    const payload = Buffer.alloc(200_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 13) & 0xff;
    const data = tempFile('payload.bin', payload);
    const manifest = tempFile('net.manifest', `/srv/payload.bin: ${data}\n`);
    const got = tempFile('got.bin', '');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '-n',
        '--forward',
        `tcp:${port}:80`,
        '--tcplisten',
        '0.0.0.0:80',
        '--manifest',
        manifest,
        example('httpd'),
        '4',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      expect(await curlRetrying(`http://127.0.0.1:${port}/`, got, Date.now() + 30_000)).toBe('200');
      expect(readFileSync(got, 'utf8')).toBe('Hello from osv-ts httpd!\n');
      expect(await curl(`http://127.0.0.1:${port}/srv/payload.bin`, got)).toBe('200');
      expect(readFileSync(got).equals(payload)).toBe(true);
      expect(await curl(`http://127.0.0.1:${port}/missing`, '/dev/null')).toBe('404');
      // An upload: curl asks for 100 Continue on a body over 1 MiB (RFC 9110 §10.1.1) and
      // gets it; httpd reads the body, discards it and answers with its size.
      const upload = tempFile('upload.bin', Buffer.alloc(3 << 20, 7));
      const up = await promisify(execFile)(
        'curl',
        ['-sS', '-v', '--max-time', '20', '--data-binary', `@${upload}`, `http://127.0.0.1:${port}/sink`],
        { encoding: 'utf8' },
      );
      expect(up.stderr).toMatch(/Expect: 100-continue/);
      expect(up.stderr).toMatch(/< HTTP\/1\.1 100 Continue/);
      expect(up.stdout).toBe(`received ${3 << 20} bytes\n`);
      expect(await exited).toBe(0); // served its 4 connections and exited
    } finally {
      child.kill('SIGKILL');
    }
    expect(stderr).toMatch(/httpd: serving on fd 3/);
  }, 90_000);
});

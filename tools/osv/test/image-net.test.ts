// `osv run -i` with user-mode networking: an httpd image (netstack and virtio-net linked because
// the app imports sockets) answers curl-like requests through passt and a forwarded port.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, curlRetrying, example, osv, spawn, tempFile } from './osv-cli.js';

describe('osv run -i -n', () => {
  it('serves HTTP from a disk image through virtio-net and passt', async () => {
    const image = join(mkdtempSync(join(tmpdir(), 'osv-image-net-')), 'httpd.img');
    const built = osv(['build', '--app', example('httpd'), '-o', image]);
    expect(built.stderr).toMatch(/modules: .*virtio-net.*netstack/);
    expect(built.status).toBe(0);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(
      process.execPath,
      [CLI, 'run', '-i', image, '-n', '--forward', `tcp:${port}:80`, '--tcplisten', '0.0.0.0:80', '-V'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      const got = tempFile(`image-net-${port}.txt`, '');
      expect(await curlRetrying(`http://127.0.0.1:${port}/`, got, Date.now() + 30_000)).toBe('200');
      expect(readFileSync(got, 'utf8')).toBe('Hello from osv-ts httpd!\n');
      expect(stderr).toMatch(/eth0: \d+\.\d+\.\d+\.\d+\/\d+/);
    } finally {
      child.kill('SIGTERM');
    }
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(status).toBe(130);
    expect(stderr).toMatch(/osv: eth0: \{.*"rxFrames":[1-9]/);
    expect(stderr).toMatch(/osv: vblk0: \{.*"reads":[1-9]/);
  }, 60_000);
});

// OSv's own ways of starting the REST API: `/libhttpserver-api.so [--port=N] &!` on the command
// line (the module starts its server when that command runs, on that port, and not before), and
// `osv build --api`, whose image serves it from boot for `osv run -i IMAGE --api`. Boots VMs:
// run under `flock /tmp/osv-interop.lock`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, example, osv, spawn } from './osv-cli.js';
import { fetchRetrying, freePort } from './http-helpers.js';

/** Starts `osv ARGS…`; the output so far, and the exit. */
function start(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, exited, output: () => output };
}

describe('/libhttpserver-api.so and osv build --api', () => {
  it('starts the server when the command line runs it, on the port it names, and not on 8000', async () => {
    const [p8001, p8000] = [await freePort(), await freePort()];
    const vm = start([
      'run',
      '-n',
      '--forward',
      `tcp:127.0.0.1:${p8001}:8001`,
      '--forward',
      `tcp:127.0.0.1:${p8000}:8000`,
      '--file',
      `/sleep.wasm=${example('sleep')}`,
      '-e',
      '/libhttpserver-api.so --port=8001 &! /sleep.wasm 30000',
    ]);
    try {
      const version = await fetchRetrying(`http://127.0.0.1:${p8001}/os/version`, Date.now() + 30_000);
      expect(await version.json()).toBe('osv-ts v0.1.0');
      expect(vm.output()).toContain('Rest API server running on port 8001');
      // Port 8000 has no server: passt accepts, the guest refuses, the request fails.
      await expect(
        fetch(`http://127.0.0.1:${p8000}/os/version`, { signal: AbortSignal.timeout(5000) }),
      ).rejects.toThrow();
      await fetch(`http://127.0.0.1:${p8001}/os/poweroff`, { method: 'POST' });
      expect(await vm.exited).toBe(0);
    } finally {
      vm.child.kill('SIGKILL');
    }
  }, 90_000);

  it('a foreground server holds the guest until /api/stop: PUT /app/ runs apps from it, /app/finished follows them, osv shell run too', async () => {
    const port = await freePort();
    const vm = start([
      'run',
      '-n',
      '--forward',
      `tcp:127.0.0.1:${port}:8000`,
      '--file',
      `/sleep.wasm=${example('sleep')}`,
      '--file',
      `/hello.wasm=${example('hello')}`,
      '-e',
      '/libhttpserver-api.so',
    ]);
    const api = `http://127.0.0.1:${port}`;
    const finished = async (tid: string): Promise<string> =>
      (await (await fetch(`${api}/app/finished?tid=${tid}`)).json()) as string;
    const waitFinished = async (tid: string): Promise<void> => {
      for (const until = Date.now() + 20_000; (await finished(tid)) !== '1';) {
        if (Date.now() > until) throw new Error(`app ${tid} did not finish`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await fetchRetrying(`${api}/os/uptime`, Date.now() + 30_000);
      const put = (command: string) => fetch(`${api}/app/?command=${encodeURIComponent(command)}`, { method: 'PUT' });
      const sleeping = (await (await put('/sleep.wasm 400')).json()) as string;
      expect(sleeping).toMatch(/^\d+$/);
      expect(await finished(sleeping)).toBe('0');
      await waitFinished(sleeping);
      expect(vm.output()).toContain('sleeping 400 ms\nawake\n');
      const two = ((await (await put('/hello.wasm one & /hello.wasm two')).json()) as string).split(' ');
      expect(two).toHaveLength(2);
      for (const tid of two) await waitFinished(tid);
      expect(vm.output()).toMatch(/argv\[1\] = one[\s\S]*argv\[1\] = two/);
      const missing = await put('/nosuch.wasm');
      expect([missing.status, await missing.json()]).toEqual([
        400,
        { message: 'Failed to load object: /nosuch.wasm', code: 400 },
      ]);
      const shell = osv(['shell', '--api', api, 'run', '/hello.wasm three']);
      expect(shell.status, shell.stderr).toBe(0);
      for (const until = Date.now() + 20_000; !vm.output().includes('argv[1] = three');) {
        if (Date.now() > until) throw new Error('osv shell run: the app did not run');
        await new Promise((r) => setTimeout(r, 50));
      }
      // Every app has finished and the server still holds the guest, until it is told to stop:
      // /api/stop ends the foreground command, the last, so the guest powers off.
      expect(await Promise.race([vm.exited, new Promise((r) => setTimeout(() => r('running'), 300))])).toBe('running');
      const stop = await fetch(`${api}/api/stop`, { method: 'POST' });
      expect([stop.status, await stop.json()]).toEqual([200, '']);
      expect(await vm.exited).toBe(0);
    } finally {
      vm.child.kill('SIGKILL');
    }
  }, 120_000);

  it('refuses the options whose job the host does, by name', () => {
    const r = osv([
      'run',
      '--file',
      `/sleep.wasm=${example('sleep')}`,
      '-e',
      '/libhttpserver-api.so --cert=/x.pem &! /sleep.wasm 1',
    ]);
    expect(r.stdout.toString() + r.stderr).toContain(
      '/libhttpserver-api.so: --cert: TLS is terminated on the host (osv run --api-cert/--api-key)',
    );
  }, 60_000);

  it('osv build --api: the image serves the API from boot, reached with osv run -i IMAGE --api', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osv-api-image-'));
    const image = join(dir, 'api.img');
    const built = osv(['build', '--api', example('sleep'), '--kernel-cmdline', '/sleep.wasm 30000', '-o', image]);
    expect(built.status, built.stderr).toBe(0);
    expect(built.stderr).toMatch(/modules: .*httpserver-api/);
    const port = await freePort();
    const vm = start(['run', '-i', image, `--api=127.0.0.1:${port}`]);
    try {
      const uptime = await fetchRetrying(`http://127.0.0.1:${port}/os/uptime`, Date.now() + 30_000);
      expect(Number.isInteger(await uptime.json())).toBe(true);
      await fetch(`http://127.0.0.1:${port}/os/poweroff`, { method: 'POST' });
      expect(await vm.exited).toBe(0);
    } finally {
      vm.child.kill('SIGKILL');
    }
    const plain = join(dir, 'plain.img');
    expect(osv(['build', example('hello'), '-o', plain]).status).toBe(0);
    const refused = osv(['run', '-i', plain, '--api']);
    expect([refused.status, refused.stderr.trim()]).toEqual([
      2,
      `osv: osv run -i ${plain} --api: its kernel has no httpserver-api module (build it with osv build --api)`,
    ]);
  }, 120_000);
});

// osv run --api: OSv's REST API served from inside a running guest (httpserver-api on the
// guest's netstack, port 8000), reached from the host through the forwarded port while the app
// sleeps. Boots VMs: run under `flock /tmp/osv-interop.lock`.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLI, example, spawn, tempFile } from './osv-cli.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function fetchRetrying(url: string, deadlineMs: number): Promise<Response> {
  for (;;) {
    try {
      return await fetch(url);
    } catch (e) {
      if (Date.now() > deadlineMs) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function boot(apiOption: string, port: number) {
  const hosts = tempFile('hosts', '127.0.0.1 localhost osv\n');
  const manifest = tempFile('api.manifest', `/etc/hosts: ${hosts}\n`);
  const child = spawn(
    process.execPath,
    [CLI, 'run', `${apiOption}=127.0.0.1:${port}`, '--manifest', manifest, example('sleep'), '30000'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, exited, output: () => output, base: `http://127.0.0.1:${port}` };
}

describe('osv run --api', () => {
  it('serves the REST API while the app sleeps, and /os/poweroff ends the run', async () => {
    const vm = boot('--api', await freePort());
    try {
      const version = await fetchRetrying(`${vm.base}/os/version`, Date.now() + 30_000);
      expect(version.status).toBe(200);
      expect(version.headers.get('content-type')).toBe('application/json');
      expect(await version.json()).toBe('osv-ts v0.1.0');
      const uptime = (await (await fetch(`${vm.base}/os/uptime`)).json()) as number;
      expect(Number.isInteger(uptime) && uptime >= 0 && uptime < 60).toBe(true);
      const hosts = await fetch(`${vm.base}/file/etc/hosts?op=GET`);
      expect(await hosts.text()).toBe('127.0.0.1 localhost osv\n');
      const doc = (await (await fetch(`${vm.base}/api-doc`)).json()) as {
        swaggerVersion: string;
        apis: { path: string }[];
      };
      expect(doc.swaggerVersion).toBe('1.2');
      expect(doc.apis.map((a) => a.path)).toEqual(['/os', '/env', '/file', '/fs', '/hardware', '/network', '/api']);
      const eth0 = (await (await fetch(`${vm.base}/network/ifconfig/eth0`)).json()) as {
        data: { ifi_ipackets: number };
      };
      expect(eth0.data.ifi_ipackets).toBeGreaterThan(0);
      const climb = await fetch(`${vm.base}/file/..%2f..%2fetc/hosts?op=GET`);
      expect([climb.status, await climb.json()]).toEqual([
        400,
        { message: "/../../etc/hosts: the path climbs out of the guest's root", code: 400 },
      ]);
      // The app is still sleeping: it has not said "awake".
      expect(vm.output()).toContain('sleeping 30000 ms');
      expect(vm.output()).not.toContain('awake');
      const off = await fetch(`${vm.base}/os/poweroff`, { method: 'POST' });
      expect(await off.json()).toBe('');
      expect(await vm.exited).toBe(0);
      expect(vm.output()).not.toContain('awake');
    } finally {
      vm.child.kill('SIGKILL');
    }
  }, 90_000);

  it('--api-monitoring answers GETs and refuses what changes the guest', async () => {
    const vm = boot('--api-monitoring', await freePort());
    try {
      const name = await fetchRetrying(`${vm.base}/os/name`, Date.now() + 30_000);
      expect(await name.json()).toBe('OSv');
      expect(name.headers.get('access-control-allow-origin')).toBe('true');
      for (const [method, path] of [
        ['POST', '/os/poweroff'],
        ['POST', '/env/X?val=1'],
        ['PUT', '/file/tmp/x?op=MKDIRS'],
      ] as const) {
        const r = await fetch(`${vm.base}${path}`, { method });
        expect([path, [404, 405].includes(r.status)]).toEqual([path, true]);
      }
      expect((await fetch(`${vm.base}/env/X`)).status).toBe(400);
      const doc = (await (await fetch(`${vm.base}/api-doc/os`)).json()) as {
        apis: { operations: { method: string }[] }[];
      };
      expect(doc.apis.flatMap((a) => a.operations.map((o) => o.method)).every((m) => m === 'GET')).toBe(true);
      expect(vm.output()).not.toContain('awake');
    } finally {
      vm.child.kill('SIGKILL');
    }
  }, 90_000);
});

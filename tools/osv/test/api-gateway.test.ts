// The host end of osv run --api: requests pass to the guest's server as they are; a bearer
// token is checked on the host (401 without it); TLS is terminated on the host, and curl
// --cacert (the CA made here by openssl) accepts it.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGateway, ApiGatewayError } from '../src/api-gateway/api-gateway.js';
import { makeTestCertificates } from './test-ca.js';

const curl = promisify(execFile);
let upstream: Server;
let upstreamPort = 0;
const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(`${req.method} ${req.url}`));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

const start = (extra: Partial<Parameters<typeof ApiGateway.start>[0]> = {}) =>
  ApiGateway.start({ host: '127.0.0.1', port: 0, upstream: { host: '127.0.0.1', port: upstreamPort }, ...extra });

describe('ApiGateway', () => {
  it('passes requests, bodies and answers through unchanged', async () => {
    const g = await start();
    const r = await fetch(`${g.url}/os/hostname?name=x`, { method: 'POST', body: 'a=1' });
    expect(await r.json()).toBe('POST /os/hostname?name=x');
    expect(seen.at(-1)).toEqual({ method: 'POST', url: '/os/hostname?name=x', auth: undefined, body: 'a=1' });
    await g.close();
  });

  it('answers 401 without the token, in OSv’s error shape, and keeps the token from the guest', async () => {
    const g = await start({ token: 's3cret' });
    const denied = await fetch(`${g.url}/os/uptime`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer realm="osv"');
    expect(await denied.json()).toMatchObject({ code: 401 });
    expect((await fetch(`${g.url}/os/uptime`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    const before = seen.length;
    const ok = await fetch(`${g.url}/os/uptime`, { headers: { Authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
    expect(seen.length).toBe(before + 1);
    expect(seen.at(-1)!.auth).toBeUndefined();
    await g.close();
  });

  it('terminates TLS that curl --cacert accepts', async () => {
    const { ca, cert, key } = makeTestCertificates();
    const g = await start({
      tls: { cert: readFileSync(cert), key: readFileSync(key) },
    });
    expect(g.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await curl('curl', ['-sS', '--cacert', ca, `${g.url}/os/version`]);
    expect(r.stdout).toBe('"GET /os/version"');
    await expect(curl('curl', ['-sS', `${g.url}/os/version`])).rejects.toThrow(/certificate/i);
    await g.close();
  });

  it('says in one line that the port is taken', async () => {
    const g = await start();
    const port = Number(new URL(g.url).port);
    await expect(start({ port })).rejects.toThrow(new ApiGatewayError(`--api 127.0.0.1:${port}: the port is in use`));
    await g.close();
  });

  it('answers 502 while the guest does not', async () => {
    const g = await ApiGateway.start({ host: '127.0.0.1', port: 0, upstream: { host: '127.0.0.1', port: 9 } });
    const r = await fetch(`${g.url}/os/uptime`);
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({ code: 502 });
    await g.close();
  });
});

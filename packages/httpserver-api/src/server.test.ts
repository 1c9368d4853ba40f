import { Errno } from '@osv-ts/kernel-api';
import { IpAddress, type TcpSocket } from '@osv-ts/netstack';
import { describe, expect, it } from 'vitest';
import { testGuest } from '../test/guest-fixture.js';
import { Router } from './router.js';
import { managementRoutes } from './routes/route-set.js';
import { HttpServer } from './server.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A guest serving the API on its loopback interface, and a client on the same stack. */
function serving(limits?: { maxHeaderBytes: number; maxBodyBytes: number }) {
  const guest = testGuest();
  const server = new HttpServer(
    guest.stack,
    guest.sched,
    new Router(managementRoutes(), guest),
    limits ? { limits } : {},
  );
  server.start();
  /** Runs the stack, the scheduler and virtual time in 1 ms steps until `done` (at most 10 s). */
  const drive = (done: () => boolean): void => {
    for (let i = 0; i < 10_000 && !done(); i++) {
      guest.stack.poll();
      guest.sched.block(() => false, guest.clock.monotonicNs() + 1_000_000);
    }
    guest.stack.poll();
  };
  const connect = (): TcpSocket => {
    const s = guest.stack.tcpSocket(4);
    try {
      s.connect({ address: IpAddress.parse('127.0.0.1'), port: 8000 });
    } catch {
      // EINPROGRESS
    }
    drive(() => s.connection?.established === true);
    return s;
  };
  return { guest, server, drive, connect };
}

/** Sends raw bytes and reads responses until `count` complete ones (by Content-Length) or EOF. */
function exchange(t: ReturnType<typeof serving>, s: TcpSocket, request: string | Uint8Array, count = 1) {
  const bytes = typeof request === 'string' ? enc(request) : request;
  for (let at = 0; at < bytes.length;) {
    const n = s.write(bytes.subarray(at));
    if (n > 0) at += n;
    else t.drive(() => s.connection!.sendSpace > 0);
  }
  let text = '';
  let eof = false;
  const buf = new Uint8Array(65536);
  const complete = (): { status: number; headers: string; body: string }[] => {
    const out = [];
    let rest = text;
    for (;;) {
      const end = rest.indexOf('\r\n\r\n');
      if (end < 0) break;
      const head = rest.slice(0, end);
      const len = Number(/Content-Length: (\d+)/.exec(head)?.[1] ?? 0);
      if (rest.length < end + 4 + len) break;
      out.push({ status: Number(head.split(' ')[1]), headers: head, body: rest.slice(end + 4, end + 4 + len) });
      rest = rest.slice(end + 4 + len);
    }
    return out;
  };
  t.drive(() => {
    for (;;) {
      const n = s.read(buf);
      if (n === -Errno.EAGAIN) break;
      if (n <= 0) {
        eof = true;
        break;
      }
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return eof || complete().length >= count;
  });
  return { responses: complete(), eof };
}

function httpGet(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: guest\r\n${extra}\r\n`;
}

describe('HttpServer on the guest netstack', () => {
  it('answers on port 8000 and keeps the connection for the next request', () => {
    const t = serving();
    const s = t.connect();
    const a = exchange(t, s, httpGet('/os/name'));
    expect(a.responses).toHaveLength(1);
    expect(a.responses[0]!.status).toBe(200);
    expect(a.responses[0]!.headers).toContain('Content-Type: application/json');
    expect(a.responses[0]!.body).toBe('"OSv"');
    const b = exchange(t, s, httpGet('/file/etc/hosts?op=GET'));
    expect(b.responses[0]!.body).toBe('127.0.0.1 localhost\n');
    expect(t.server.accepted).toBe(1);
    expect(t.server.connectionCount).toBe(1);
  });

  it('answers pipelined requests in order; Connection: close ends the connection', () => {
    const t = serving();
    const s = t.connect();
    const r = exchange(
      t,
      s,
      httpGet('/os/vendor') + httpGet('/os/uptime') + httpGet('/os/name', 'Connection: close\r\n'),
      3,
    );
    expect(r.responses.map((x) => x.body)).toEqual(['"Cloudius Systems"', '0', '"OSv"']);
    expect(r.responses[2]!.headers).toContain('Connection: close');
    t.drive(() => t.server.connectionCount === 0);
    expect(t.server.connectionCount).toBe(0);
  });

  it('refuses oversized headers with 431 and bodies with 413, as OSv error JSON, and closes', () => {
    const t = serving({ maxHeaderBytes: 1024, maxBodyBytes: 100 });
    const a = exchange(t, t.connect(), `GET /os/name HTTP/1.1\r\nHost: g\r\nX-Big: ${'x'.repeat(2000)}\r\n\r\n`);
    expect(a.responses[0]!.status).toBe(431);
    expect(JSON.parse(a.responses[0]!.body)).toEqual({ message: 'Request Header Fields Too Large', code: 431 });
    const b = exchange(t, t.connect(), 'POST /api/batch HTTP/1.1\r\nHost: g\r\nContent-Length: 101\r\n\r\n');
    expect(b.responses[0]!.status).toBe(413);
    expect(b.responses[0]!.headers).toContain('Connection: close');
    t.drive(() => t.server.connectionCount === 0);
    expect(t.server.connectionCount).toBe(0);
  });

  it('POST /api/stop answers, then closes the port and every connection, and the thread returns', () => {
    const t = serving();
    const idle = t.connect();
    const s = t.connect();
    const r = exchange(t, s, 'POST /api/stop HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n');
    expect([r.responses[0]!.status, r.responses[0]!.body]).toEqual([200, '""']);
    expect(t.server.serving).toBe(true);
    t.drive(() => !t.server.serving);
    expect(t.server.serving).toBe(false);
    expect(t.server.connectionCount).toBe(0);
    expect(t.server.thread!.state).toBe('dead');
    t.drive(() => idle.read(new Uint8Array(16)) === 0);
    expect(idle.read(new Uint8Array(16))).toBe(0);
    // The port is closed: a new connection is refused.
    const late = t.guest.stack.tcpSocket(4);
    try {
      late.connect({ address: IpAddress.parse('127.0.0.1'), port: 8000 });
    } catch {
      // EINPROGRESS
    }
    t.drive(() => late.connection?.established === true || late.connection?.state === 'CLOSED');
    expect(late.connection?.established).not.toBe(true);
  });

  it('a form body carries parameters (api/batch)', () => {
    const t = serving();
    const form = `batch=${encodeURIComponent('[{"method":"GET","relative_url":"/hardware/processor/count"}]')}`;
    const r = exchange(
      t,
      t.connect(),
      `POST /api/batch HTTP/1.1\r\nHost: g\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}`,
    );
    expect(JSON.parse(r.responses[0]!.body)).toEqual([{ code: 200, body: 1 }]);
  });

  it("500 idle connections (the issue's figure) do not stop it from answering", () => {
    const t = serving();
    const idle = Array.from({ length: 500 }, () => t.connect());
    expect(idle.every((s) => s.connection?.established)).toBe(true);
    const r = exchange(t, t.connect(), httpGet('/os/name'));
    expect(r.responses[0]!.body).toBe('"OSv"');
    expect(t.server.connectionCount).toBe(501);
  });

  it('poweroff: the response is delivered before the power-off request unwinds the scheduler', () => {
    const t: ReturnType<typeof serving> = serving();
    const s = t.connect();
    let thrown: unknown;
    let r: ReturnType<typeof exchange> | undefined;
    try {
      r = exchange(t, s, 'POST /os/poweroff HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n');
      t.drive(() => false);
    } catch (e) {
      thrown = e;
    }
    expect(r?.responses[0]?.body).toBe('""');
    expect((thrown as Error).name).toBe('PowerOffRequest');
    expect(t.guest.powerOffs).toHaveLength(1);
  });
});

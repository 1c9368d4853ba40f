import { PowerOffRequest } from '@osv-ts/kernel-api';
import { decodeOsvTraceDump } from '@osv-ts/core-sched';
import { IpAddress } from '@osv-ts/netstack';
import { describe, expect, it } from 'vitest';
import { testGuest } from '../../test/guest-fixture.js';
import { Router, syntheticRequest } from '../router.js';
import { managementRoutes } from './route-set.js';

function api(options: { monitoring?: boolean } = {}) {
  const guest = testGuest();
  const router = new Router(managementRoutes(options), guest);
  const after: (() => void)[] = [];
  const call = (method: string, target: string, form?: string) => {
    const req = syntheticRequest(method, target);
    const r = router.handle(
      form === undefined
        ? req
        : {
            ...req,
            headers: new Map([['content-type', 'application/x-www-form-urlencoded']]),
            body: new TextEncoder().encode(form),
          },
      (a) => after.push(a),
    );
    const text = new TextDecoder().decode(r.body);
    return {
      status: r.status,
      type: r.contentType,
      text,
      json: r.contentType === 'application/json' ? (JSON.parse(text) as unknown) : undefined,
    };
  };
  return { guest, call, after };
}

/** The keys and JSON types of a value, for shape checks against OSv's models. */
const shape = (o: object): Record<string, string> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v]));

describe('os routes', () => {
  it('answer OSv identity, time and memory as JSON scalars', () => {
    const { call, guest } = api();
    expect(call('GET', '/os/name').text).toBe('"OSv"');
    expect(call('GET', '/os/vendor').json).toBe('Cloudius Systems');
    expect(call('GET', '/os/version').json).toBe('osv-ts v0.1.0');
    guest.clock.advanceTo(12_500_000_000);
    expect(call('GET', '/os/uptime').text).toBe('12');
    // VirtualClock's epoch is 1_700_000_000 s: Tue Nov 14 22:13:20 UTC 2023.
    expect(call('GET', '/os/date').json).toBe('Tue Nov 14 22:13:32 UTC 2023');
    expect(call('GET', '/os/memory/total').json).toBe(64 << 20);
    expect(call('GET', '/os/memory/free').json).toBe(40 << 20);
    expect(call('GET', '/os/memory/balloon').text).toBe('0'); // no JVM balloon
    expect(call('GET', '/os/dmesg').json).toBe('OSv-ts booted\n');
    expect(call('GET', '/os/cmdline').json).toBe('/app.wasm');
  });

  it('hostname: set, then read back; a missing name is 400 with OSv error body', () => {
    const { call } = api();
    expect(call('GET', '/os/hostname').json).toBe('osv');
    expect(call('POST', '/os/hostname?name=guest1').json).toBe('');
    expect(call('GET', '/os/hostname').json).toBe('guest1');
    expect(call('POST', '/os/hostname')).toMatchObject({
      status: 400,
      json: { message: 'Missing mandatory parameter: name', code: 400 },
    });
  });

  it('cmdline: too long is 400, a kernel that cannot write it is 500', () => {
    const { call } = api();
    expect(call('POST', `/os/cmdline?cmdline=${'a'.repeat(1024)}`)).toMatchObject({
      status: 400,
      json: { message: 'command line too long' },
    });
    expect(call('POST', '/os/cmdline?cmdline=x')).toMatchObject({ status: 500, json: { code: 500 } });
  });

  it('threads: OSv Thread fields for every kernel thread', () => {
    const { call, guest } = api();
    guest.sched.spawn(
      function* t() {
        yield;
      },
      { name: 'worker' },
    );
    const r = call('GET', '/os/threads').json as { list: Record<string, unknown>[]; time_ms: number };
    expect(r.time_ms).toBe(1_700_000_000_000);
    expect(r.list.map((t) => t['name'])).toEqual(['worker']);
    expect(shape(r.list[0]!)).toEqual({
      id: 'number',
      cpu: 'number',
      cpu_ms: 'number',
      switches: 'number',
      migrations: 'number',
      preemptions: 'number',
      priority: 'number',
      stack_size: 'number',
      status: 'string',
      name: 'string',
    });
    expect(r.list[0]!['status']).toBe('queued');
  });

  it('poweroff answers "" and powers off only afterwards', () => {
    const { call, after, guest } = api();
    expect(call('POST', '/os/poweroff').json).toBe('');
    expect(guest.powerOffs).toEqual([]);
    expect(after).toHaveLength(1);
    expect(() => after[0]!()).toThrow(PowerOffRequest);
    expect(guest.powerOffs).toHaveLength(1);
  });
});

describe('env routes', () => {
  it('list, get, set, delete; an unknown name is 400', () => {
    const { call } = api();
    expect(call('GET', '/env/').json).toEqual(['HOME=/']);
    expect(call('POST', '/env/GREETING?val=hi%20there').json).toBe('');
    expect(call('GET', '/env/GREETING').json).toBe('hi there');
    expect(call('GET', '/env/').json).toEqual(['HOME=/', 'GREETING=hi there']);
    expect(call('DELETE', '/env/GREETING').json).toBe('');
    expect(call('GET', '/env/GREETING')).toMatchObject({
      status: 400,
      json: { message: 'No environment variable GREETING', code: 400 },
    });
    expect(call('POST', '/env/X')).toMatchObject({ status: 400 });
  });
});

describe('file routes', () => {
  it('GET returns the raw content; GETFILESTATUS and LISTSTATUS return FileStatusProperties', () => {
    const { call } = api();
    const r = call('GET', '/file/etc/hosts?op=GET');
    expect([r.status, r.type, r.text]).toEqual([200, 'application/octet-stream', '127.0.0.1 localhost\n']);
    const st = call('GET', '/file/etc/hosts?op=GETFILESTATUS').json as Record<string, unknown>;
    expect(shape(st)).toEqual({
      accessTime: 'number',
      blockSize: 'number',
      group: 'string',
      length: 'number',
      modificationTime: 'number',
      owner: 'string',
      pathSuffix: 'string',
      permission: 'string',
      replication: 'number',
      symlink: 'string',
      type: 'string',
    });
    expect(st).toMatchObject({ length: 20, pathSuffix: 'hosts', type: 'FILE', permission: '644' });
    const ls = call('GET', '/file/?op=LISTSTATUS').json as { pathSuffix: string; type: string }[];
    expect(ls.map((e) => [e.pathSuffix, e.type])).toEqual([['etc', 'DIRECTORY']]);
    expect((call('GET', '/file/etc/h*?op=LISTSTATUS').json as unknown[]).length).toBe(1);
    expect((call('GET', '/file/etc/x*?op=LISTSTATUS').json as unknown[]).length).toBe(0);
  });

  it('MKDIRS, WRITE (append and overwrite), COPY, RENAME, DELETE', () => {
    const { call, guest } = api();
    expect(call('PUT', '/file/a/b/c?op=MKDIRS').status).toBe(404); // no parents without createParent
    expect(call('PUT', '/file/a/b/c?op=MKDIRS&createParent=true&permission=0755').json).toBe('');
    expect(call('GET', '/file/a/b/c?op=GETFILESTATUS').json).toMatchObject({ type: 'DIRECTORY', permission: '755' });
    call('PUT', '/file/a/f?op=WRITE&content=one');
    call('PUT', '/file/a/f?op=WRITE&content=two');
    expect(call('GET', '/file/a/f?op=GET').text).toBe('onetwo');
    call('PUT', '/file/a/f?op=WRITE&content=new&overwrite=true');
    expect(call('GET', '/file/a/f?op=GET').text).toBe('new');
    expect(call('PUT', '/file/a/f?op=COPY&destination=/a/g').json).toBe('');
    expect(call('PUT', '/file/a/g?op=RENAME&destination=/h').json).toBe('');
    expect(new TextDecoder().decode(guest.vfs.readFile('/h'))).toBe('new');
    expect(call('PUT', '/file/a?op=RENAME')).toMatchObject({
      status: 400,
      json: { message: 'Missing mandatory parameter: destination' },
    });
    expect(call('DELETE', '/file/a?op=DELETE').status).toBe(500); // not empty
    expect(call('DELETE', '/file/a?op=DELETE&recursive=true').json).toBe('');
    expect(call('GET', '/file/a?op=GETFILESTATUS')).toMatchObject({ status: 404, json: { code: 404 } });
    expect(call('PUT', '/file/x?op=CHMOD')).toMatchObject({ status: 400, json: { message: 'Unknown op CHMOD' } });
    expect(call('GET', '/file/etc/hosts')).toMatchObject({
      status: 400,
      json: { message: 'Missing mandatory parameter: op' },
    });
  });

  it('cannot climb out of the guest root with ..', () => {
    const { call } = api();
    for (const target of [
      '/file/../etc/hosts?op=GET',
      '/file/etc/../../x?op=GET',
      '/file/%2e%2e/etc/hosts?op=GET',
      '/file/a/..%2f..%2fb?op=GET',
    ])
      expect([target, call('GET', target).status]).toEqual([target, 400]);
    expect(call('PUT', '/file/etc/hosts?op=COPY&destination=/../../tmp/x').status).toBe(400);
    // `..` that stays inside is fine.
    expect(call('GET', '/file/etc/../etc/hosts?op=GET').status).toBe(200);
  });

  it('POST uploads the multipart `file` part through a temporary file renamed into place', () => {
    const { guest, call } = api();
    const router = new Router(managementRoutes(), guest);
    const post = (target: string, parts: string, type = 'multipart/form-data; boundary=BB') => {
      const r = router.handle({
        ...syntheticRequest('POST', target),
        headers: new Map([['content-type', type]]),
        body: new TextEncoder().encode(parts),
      });
      return { status: r.status, json: JSON.parse(new TextDecoder().decode(r.body)) as unknown };
    };
    const part = (name: string, filename: string, data: string) =>
      `--BB\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n${data}\r\n`;
    const text = (path: string) => new TextDecoder().decode(guest.vfs.readFile(path));
    expect(
      post('/file/etc/motd', `${part('other', 'o', 'no')}${part('file', 'x', 'line 1\r\nline 2')}--BB--\r\n`),
    ).toEqual({ status: 200, json: '' });
    expect(text('/etc/motd')).toBe('line 1\r\nline 2');
    // Replaces an existing file; into a directory, the part's file name (its last component) is used.
    expect(post('/file/etc/motd', `${part('file', 'x', 'v2')}--BB--`).status).toBe(200);
    expect(text('/etc/motd')).toBe('v2');
    expect(post('/file/etc', `${part('file', '../../up/evil', 'in etc')}--BB--`).status).toBe(200);
    expect(text('/etc/evil')).toBe('in etc');
    // No temporary file is left behind.
    const names = (call('GET', '/file/etc?op=LISTSTATUS').json as { pathSuffix: string }[]).map((f) => f.pathSuffix);
    expect(names).toEqual(['evil', 'hosts', 'motd']);
    expect(post('/file/../x', `${part('file', 'x', 'y')}--BB--`).status).toBe(400);
    expect(post('/file/etc/a', `${part('nope', 'x', 'y')}--BB--`)).toMatchObject({ status: 400, json: { code: 400 } });
    expect(post('/file/etc/a', `${part('file', 'x', 'y')}`)).toMatchObject({
      status: 400,
      json: { message: 'multipart/form-data: a part is not closed by a boundary' },
    });
    expect(post('/file/etc/a', 'x', 'text/plain').status).toBe(400);
    expect(post('/file/nodir/a', `${part('file', 'x', 'y')}--BB--`).status).toBe(404);
    expect(() => guest.vfs.stat('/etc/a')).toThrow();
  });
});

describe('fs, hardware and network routes', () => {
  it('fs/df lists the mounts as DFStat; an unknown mount is 404', () => {
    const { call } = api();
    const df = call('GET', '/fs/df/').json as Record<string, unknown>[];
    expect(df).toHaveLength(1);
    expect(shape(df[0]!)).toEqual({
      filesystem: 'string',
      mount: 'string',
      btotal: 'number',
      bfree: 'number',
      ftotal: 'number',
      ffree: 'number',
      blocksize: 'number',
    });
    expect(df[0]!['mount']).toBe('/');
    expect(call('GET', '/fs/df/nowhere')).toMatchObject({ status: 404, json: { message: 'mount does not exist' } });
  });

  it('hardware answers scalars', () => {
    const { call } = api();
    expect(call('GET', '/hardware/processor/count').json).toBe(1);
    expect(call('GET', '/hardware/hypervisor').json).toBe('inprocess');
    expect(typeof call('GET', '/hardware/processor/flags').json).toBe('string');
    expect(typeof call('GET', '/hardware/firmware/vendor').json).toBe('string');
  });

  it('ifconfig shows every interface with its counters; route lists the routes', () => {
    const { call, guest } = api();
    guest.stack.loopback.counters.rxFrames = 5;
    const all = call('GET', '/network/ifconfig/').json as {
      config: Record<string, unknown>;
      data: Record<string, unknown>;
      time: number;
    }[];
    expect(all.map((i) => i.config['name'])).toEqual(['lo']);
    expect(all[0]!.config).toMatchObject({ addr: '127.0.0.1', mask: '255.0.0.0' });
    expect(all[0]!.data['ifi_ipackets']).toBe(5);
    expect(Object.keys(all[0]!.data)).toHaveLength(32);
    expect(call('GET', '/network/ifconfig/lo').json).toMatchObject({ config: { name: 'lo' } });
    expect(call('GET', '/network/ifconfig/eth9').status).toBe(404);
    const routes = call('GET', '/network/route/').json as Record<string, unknown>[];
    expect(routes).toContainEqual({ destination: '127.0.0.0/8', gateway: '', flags: 'U', netif: 'lo', ipv6: false });
  });

  it('ifconfig byte counters grow with the traffic: a 100-byte UDP datagram is 142 bytes each way', () => {
    const { call, guest } = api();
    const bytes = () => {
      const d = (call('GET', '/network/ifconfig/lo').json as { data: Record<string, number> }).data;
      return [d['ifi_ibytes']!, d['ifi_obytes']!, d['ifi_ipackets']!, d['ifi_opackets']!];
    };
    const before = bytes();
    const rx = guest.stack.udpSocket();
    rx.bind({ address: IpAddress.parse('127.0.0.1'), port: 9 });
    guest.stack.udpSocket().sendTo(new Uint8Array(100), { address: IpAddress.parse('127.0.0.1'), port: 9 });
    for (let i = 0; i < 3; i++) guest.stack.poll();
    const after = bytes();
    // Ethernet 14 + IPv4 20 + UDP 8 + 100, out and back in on lo.
    expect(after.map((v, i) => v - before[i]!)).toEqual([142, 142, 1, 1]);
  });
});

describe('api/batch and errors', () => {
  it('batch runs each request through the router; OSv quoting rules', () => {
    const { call } = api();
    const r = call(
      'POST',
      '/api/batch',
      `batch=${encodeURIComponent(`[{"method": "GET", "relative_url": "/os/name"}, {'method':'GET','relative_url':'env/NOPE'}]`)}`,
    );
    expect(r.json).toEqual([
      { code: 200, body: 'OSv' },
      { code: 400, body: { message: 'No environment variable NOPE', code: 400 } },
    ]);
    expect(call('POST', '/api/batch', 'batch=[{"method":"GET"}').status).toBe(400);
    expect(call('POST', '/api/batch').status).toBe(400);
  });

  it('unknown paths are 404, known paths under another method 405, both with OSv error bodies', () => {
    const { call } = api();
    expect(call('GET', '/nope')).toMatchObject({ status: 404, json: { code: 404 } });
    expect(call('DELETE', '/os/name')).toMatchObject({ status: 405, json: { code: 405 } });
  });
});

describe('trace routes', () => {
  it('status lists every tracepoint as TraceEventInfo; match is a whole-name regex', () => {
    const { call } = api();
    const all = call('GET', '/trace/status').json as Record<string, unknown>[];
    expect(all.length).toBeGreaterThan(3);
    expect(shape(all[0]!)).toEqual({ name: 'string', id: 'string', enabled: 'boolean', backtrace: 'boolean' });
    expect(all.find((t) => t.name === 'sched_switch')).toMatchObject({ enabled: false, backtrace: false });
    const sched = call('GET', '/trace/status?match=sched_.*').json as { name: string }[];
    expect(sched.map((t) => t.name).sort()).toEqual(['sched_idle', 'sched_switch', 'sched_wake']);
    expect(call('GET', '/trace/status?match=sched').json).toEqual([]);
    expect(call('GET', '/trace/status?match=(').status).toBe(400);
  });

  it('POST status switches the matching ones and returns only those that changed', () => {
    const { call, guest } = api();
    const changed = call('POST', '/trace/status?match=sched_w.*&enabled=true&backtrace=true').json;
    expect(changed).toEqual([{ name: 'sched_wake', id: expect.any(String) as string, enabled: true, backtrace: true }]);
    expect(call('POST', '/trace/status?match=sched_w.*&enabled=true&backtrace=true').json).toEqual([]);
    expect(guest.sched.tracer.find('sched_wake')!.recording).toBe(true);
    expect(call('POST', '/trace/status?match=x')).toMatchObject({
      status: 400,
      json: { message: 'Missing mandatory parameter: enabled', code: 400 },
    });
    expect(call('POST', '/trace/status?enabled=maybe').status).toBe(400);
  });

  it('event get and set one tracepoint by name; an unknown name is 400', () => {
    const { call } = api();
    expect(call('GET', '/trace/event/timer_fired').json).toMatchObject({ name: 'timer_fired', enabled: false });
    expect(call('POST', '/trace/event/timer_fired?enabled=true').json).toMatchObject({
      name: 'timer_fired',
      enabled: true,
      backtrace: false,
    });
    expect(call('GET', '/trace/event/timer_fired').json).toMatchObject({ enabled: true });
    expect(call('GET', '/trace/event/nope')).toMatchObject({
      status: 400,
      json: { message: 'Unknown tracepoint name', code: 400 },
    });
  });

  it('count: counts events of counted tracepoints only, from 0; DELETE forgets every counter', () => {
    const { call, guest } = api();
    expect(call('POST', '/trace/count/thread_create?enabled=true').json).toBe('');
    for (const name of ['a', 'b', 'c']) guest.sched.spawn(function* t() {}, { name });
    const counts = call('GET', '/trace/count').json as { list: unknown[]; time_ms: number };
    expect(counts.list).toEqual([{ name: 'thread_create', count: 3 }]);
    expect(typeof counts.time_ms).toBe('number');
    // Counting does not record.
    expect(guest.sched.tracer.records()).toEqual([]);
    expect(call('POST', '/trace/count/nope?enabled=true')).toMatchObject({
      status: 400,
      json: { message: 'Unknown tracepoint name' },
    });
    expect(call('DELETE', '/trace/count').json).toBe('');
    expect((call('GET', '/trace/count').json as { list: unknown[] }).list).toEqual([]);
  });

  it('sampler: freq is required and at most 100000; 0 stops; starting is refused with 500', () => {
    const { call } = api();
    expect(call('POST', '/trace/sampler').status).toBe(400);
    expect(call('POST', '/trace/sampler?freq=100001')).toMatchObject({ status: 400, json: { code: 400 } });
    expect(call('POST', '/trace/sampler?freq=-1').status).toBe(400);
    expect(call('POST', '/trace/sampler?freq=0').json).toBe('Sampler stopped successfully');
    expect(call('POST', '/trace/sampler?freq=100')).toMatchObject({
      status: 500,
      json: { message: expect.stringMatching(/^Sampler not available/) as string, code: 500 },
    });
  });

  it("buffers: OSv's trace dump file, with thread names, which decodeOsvTraceDump (osv trace --api) reads", () => {
    const { call, guest } = api();
    call('POST', '/trace/status?match=thread_create&enabled=true');
    const { sched } = guest;
    sched.spawn(
      function* () {
        sched.spawn(function* t() {}, { name: 'traced' });
        yield* sched.sleep(1e9);
      },
      { name: 'a-long-thread-name' },
    );
    sched.run(sched.sleep(1e6));
    const req = syntheticRequest('GET', '/trace/buffers');
    const r = new Router(managementRoutes(), guest).handle(req, () => {});
    expect([r.status, r.contentType]).toEqual([200, 'application/octet-stream']);
    expect(String.fromCharCode(...r.body.subarray(0, 4))).toBe('TVSO');
    const dump = decodeOsvTraceDump(r.body);
    expect(dump.records.map((x) => [x.name, x.args[1]])).toEqual([
      ['thread_create', 'a-long-thread-name'],
      ['thread_create', 'traced'],
    ]);
    expect(dump.catalog.map((t) => t.name)).toContain('sched_switch');
    expect(dump.records[1]!.threadName).toBe('a-long-thread-n'); // OSv's 16-byte name, NUL included
  });
});

describe('app routes', () => {
  it('PUT /app/ starts each app of the command and answers their thread ids; /app/finished follows them', () => {
    const { call, guest } = api();
    const r = call('PUT', '/app/?command=' + encodeURIComponent('/a.wasm 1 & /b.wasm'));
    expect(r.status).toBe(200);
    const ids = (r.json as string).split(' ').map(Number);
    expect(ids).toHaveLength(2);
    expect([...guest.apps]).toEqual([
      [ids[0], '/a.wasm 1'],
      [ids[1], '/b.wasm'],
    ]);
    expect(call('GET', `/app/finished?tid=${ids[0]}`).json).toBe('0');
    guest.apps.delete(ids[0]!);
    expect(call('GET', `/app/finished?tid=${ids[0]}`).json).toBe('1');
    expect(call('GET', `/app/finished?tid=${ids[1]}`).json).toBe('0');
    // Any live thread counts, as in OSv; an id no thread has is finished.
    const t = guest.sched.spawn(function* () {
      yield* guest.sched.sleep(1e9);
    });
    expect(call('GET', `/app/finished?tid=${t.id}`).json).toBe('0');
    expect(call('GET', '/app/finished?tid=99999').json).toBe('1');
  });

  it("refuses what OSv refuses: no command, ';', a bad tid or new_program (400, OSv's error body)", () => {
    const { call, guest } = api();
    expect(call('PUT', '/app/').json).toEqual({ message: 'Missing mandatory parameter: command', code: 400 });
    expect(call('PUT', '/app/?command=' + encodeURIComponent('/a.wasm; /b.wasm')).json).toEqual({
      message: "';' is not allowed in a command",
      code: 400,
    });
    expect(call('PUT', '/app/?command=/a.wasm&new_program=maybe').status).toBe(400);
    expect(call('PUT', '/app/?command=/a.wasm&new_program=true').status).toBe(200);
    expect(call('GET', '/app/finished').status).toBe(400);
    expect(call('GET', '/app/finished?tid=-1').status).toBe(400);
    expect(call('GET', '/app/finished?tid=x').status).toBe(400);
    expect(call('GET', '/app/').status).toBe(405);
    expect(guest.apps.size).toBe(1);
  });
});

describe('monitoring build and api-doc', () => {
  it('monitoring refuses every state-changing route and still answers GETs', () => {
    const { call, guest, after } = api({ monitoring: true });
    for (const [m, t] of [
      ['POST', '/os/poweroff'],
      ['POST', '/os/reboot'],
      ['POST', '/os/shutdown'],
      ['POST', '/os/hostname?name=x'],
      ['POST', '/os/cmdline?cmdline=x'],
      ['POST', '/env/A?val=1'],
      ['DELETE', '/env/HOME'],
      ['PUT', '/file/x?op=MKDIRS'],
      ['DELETE', '/file/etc/hosts?op=DELETE'],
      ['POST', '/file/etc/hosts'],
      ['GET', '/trace/status'],
      ['POST', '/trace/status?enabled=true'],
      ['GET', '/trace/buffers'],
      ['DELETE', '/trace/count'],
      ['PUT', '/app/?command=/app.wasm'],
      ['POST', '/api/stop'],
      ['GET', '/app/finished?tid=1'],
    ] as const)
      expect([m, t, [404, 405].includes(call(m, t).status)]).toEqual([m, t, true]);
    // Nothing changed.
    expect(after).toEqual([]);
    expect(guest.apps.size).toBe(0);
    expect(guest.control.hostname()).toBe('osv');
    expect([...guest.control.environment]).toEqual([['HOME', '/']]);
    expect(guest.vfs.stat('/etc/hosts').size).toBe(20);
    expect(() => guest.vfs.stat('/x')).toThrow();
    expect(call('GET', '/os/name').json).toBe('OSv');
    expect(call('GET', '/file/etc/hosts?op=GET').status).toBe(200);
  });

  it('serves the dashboard page in both builds, at /dashboard/ and /dashboard', () => {
    for (const monitoring of [false, true]) {
      const { call } = api({ monitoring });
      for (const path of ['/dashboard/', '/dashboard']) {
        const r = call('GET', path);
        expect([r.status, r.type]).toEqual([200, 'text/html; charset=utf-8']);
        expect(r.text).toMatch(/^<!doctype html>[\s\S]*data-testid="uptime"[\s\S]*\/os\/threads/);
      }
    }
  });

  it('/api-doc lists exactly the groups served, and each listing exactly its routes', () => {
    for (const monitoring of [false, true]) {
      const { call } = api({ monitoring });
      const listing = call('GET', '/api-doc').json as {
        apiVersion: string;
        swaggerVersion: string;
        apis: { path: string }[];
      };
      expect(listing.swaggerVersion).toBe('1.2');
      expect(listing.apis.map((a) => a.path)).toEqual([
        '/os',
        '/env',
        '/file',
        '/fs',
        '/hardware',
        '/network',
        '/api',
        ...(monitoring ? [] : ['/trace', '/app']),
      ]);
      // The dashboard is a page, not an API group (OSv's GUI is a file mapping): never listed.
      const served = managementRoutes({ monitoring }).filter((r) => r.group !== 'api-doc' && r.group !== 'dashboard');
      let operations = 0;
      for (const { path } of listing.apis) {
        const decl = call('GET', `/api-doc${path}`).json as {
          resourcePath: string;
          apis: { path: string; operations: { method: string; type: string; nickname: string }[] }[];
          models: Record<string, unknown>;
        };
        expect(decl.resourcePath).toBe(path);
        for (const a of decl.apis)
          for (const op of a.operations) {
            operations++;
            expect(served.some((r) => r.path === a.path && r.method === op.method)).toBe(true);
            // Every model a route returns is declared in its listing.
            if (/^[A-Z]/.test(op.type)) expect(Object.keys(decl.models)).toContain(op.type);
          }
      }
      expect(operations).toBe(served.length);
    }
    expect(api({ monitoring: true }).call('GET', '/api-doc/trace').status).toBe(404);
    expect(api({ monitoring: true }).call('GET', '/api-doc/app').status).toBe(404);
    expect(api().call('GET', '/api-doc/nosuchgroup').status).toBe(404);
  });
});

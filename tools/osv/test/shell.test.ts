// `osv shell` one-shot and interactive (in a pty from util-linux's script), against a stand-in
// API that answers OSv's routes with OSv's JSON shapes (reference §2); the shell against a real
// guest is in api.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './osv-cli.js';
import { formatUptime, topScreen } from '../src/shell/system-commands.js';
import { modeString } from '../src/shell/file-commands.js';
import { shellWords } from '../src/shell/shell-words.js';

const file = (name: string, type: 'FILE' | 'DIRECTORY', length: number, permission = '644') => ({
  accessTime: 0,
  blockSize: 512,
  group: 'osv',
  length,
  modificationTime: Math.floor(Date.now() / 1000) - 60,
  owner: 'osv',
  pathSuffix: name,
  permission,
  replication: 1,
  symlink: '',
  type,
});

const TREE: Record<string, ReturnType<typeof file>[] | string> = {
  '/': [file('etc', 'DIRECTORY', 4096, '755'), file('hello.wasm', 'FILE', 1234, '755')],
  '/etc': [file('hosts', 'FILE', 27)],
  '/etc/hosts': '127.0.0.1 localhost osv\n',
};
const requests: string[] = [];
let hostname = 'osv.local';
let threadsCalls = 0;

function answer(method: string, url: URL): [number, unknown] {
  const p = url.pathname;
  if (p.startsWith('/file/') || p === '/file') {
    const path = decodeURIComponent(p.slice('/file'.length)).replace(/(.)\/$/, '$1') || '/';
    const node = TREE[path];
    const op = url.searchParams.get('op');
    if (method === 'PUT' && op === 'MKDIRS') return [200, ''];
    if (method === 'DELETE')
      return node === undefined ? [404, { message: `${path}: not found`, code: 404 }] : [200, ''];
    if (node === undefined) return [404, { message: `File ${path} not found`, code: 404 }];
    const name = path.split('/').pop()!;
    if (op === 'GETFILESTATUS')
      return [
        200,
        typeof node === 'string' ? file(name, 'FILE', node.length) : file(name || '/', 'DIRECTORY', 4096, '755'),
      ];
    if (op === 'LISTSTATUS' && typeof node !== 'string') return [200, node];
    if (op === 'GET' && typeof node === 'string') return [200, node];
    return [400, { message: `bad op ${op}`, code: 400 }];
  }
  const threads = () => ({
    time_ms: 1000 + 2000 * threadsCalls,
    list: [
      { id: 1, cpu: 0, cpu_ms: 10 + 500 * threadsCalls++, switches: 3, name: 'main' },
      { id: 2, cpu: 0, cpu_ms: 5, switches: 1, name: 'netstack-poll' },
    ],
  });
  const routes: Record<string, () => [number, unknown]> = {
    'GET /os/date': () => [200, 'Sun Dec 06 23:59:07 UTC 2026'],
    'GET /os/uptime': () => [200, 3725],
    'GET /os/memory/total': () => [200, 67108864],
    'GET /os/memory/free': () => [200, 50331648],
    'GET /os/dmesg': () => [200, 'OSv-ts v0.1.0\nBooted up in 20.00 ms\n'],
    'GET /os/hostname': () => [200, hostname],
    'POST /os/hostname': () => ((hostname = url.searchParams.get('name') ?? ''), [200, '']),
    'POST /os/poweroff': () => [200, ''],
    'GET /hardware/processor/count': () => [200, 1],
    'GET /os/threads': () => [200, threads()],
    'GET /fs/df/': () => [
      200,
      [{ filesystem: '/dev/vblk0.1', mount: '/', btotal: 1000, bfree: 250, ftotal: 10, ffree: 5, blocksize: 4096 }],
    ],
    'PUT /app/': () => [200, '42'],
    'GET /api-doc': () => [
      200,
      { apiVersion: '0.0.1', swaggerVersion: '1.2', apis: [{ path: '/os', description: 'OS core API' }] },
    ],
    'GET /os/version': () => [200, 'v0.1.0'],
  };
  const route = routes[`${method} ${p}`];
  return route ? route() : [404, { message: 'Not found', code: 404 }];
}

let server: Server;
let api = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const [status, body] = answer(req.method!, url);
    const raw = typeof body === 'string' && url.searchParams.get('op') === 'GET' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': url.searchParams.get('op') === 'GET' ? 'application/octet-stream' : 'application/json',
    });
    res.end(raw);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  api = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Runs osv shell asynchronously (the stand-in server answers on this process's event loop). */
function shell(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'shell', ...args], { env: { ...process.env, OSV_API: api, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (status) => resolve({ status, out, err }));
  });
}

describe('osv shell, one-shot', () => {
  it('ls lists a directory, ls -l in long form with total, and names a missing path', async () => {
    expect(await shell(['ls', '/'])).toEqual({ status: 0, out: 'etc/\nhello.wasm\n', err: '' });
    const long = await shell(['ls', '-l', '/']);
    expect(long.out).toMatch(
      /^total 11\ndrwxr-xr-x 1 osv osv 4096 \w{3} \d\d \d\d:\d\d etc\n-rwxr-xr-x 1 osv osv 1234 /,
    );
    const missing = await shell(['ls', '/nope']);
    expect(missing).toEqual({ status: 1, out: '', err: 'ls: /nope: no such file or directory\n' });
  });

  it('cat prints a file, and mkdir -p, rm send OSv CLI requests', async () => {
    expect((await shell(['cat', '/etc/hosts'])).out).toBe('127.0.0.1 localhost osv\n');
    requests.length = 0;
    expect((await shell(['mkdir', '-p', '/tmp/a/b'])).status).toBe(0);
    expect(requests).toEqual(['PUT /file/tmp/a/b?op=MKDIRS&permission=0755&createParent=true']);
    expect(await shell(['rm', '/gone'])).toMatchObject({ status: 1, err: 'rm: /gone: no such file or directory\n' });
  });

  it('free, df, uptime, date, dmesg and hostname print what the API says, as OSv does', async () => {
    expect((await shell(['free'])).out).toBe('     total    used     free\nMem: 67108864 16777216 50331648\n');
    expect((await shell(['df'])).out).toBe(
      'Filesystem   Total Used Use%   Mounted on\n/dev/vblk0.1 1000  750  75.00% /\n',
    );
    expect((await shell(['uptime'])).out).toBe('23:59:07 up  1:02 \n');
    expect((await shell(['date'])).out).toBe('Sun Dec 06 23:59:07 UTC 2026\n');
    expect((await shell(['dmesg'])).out).toBe('OSv-ts v0.1.0\nBooted up in 20.00 ms\n');
    expect((await shell(['hostname', 'guest1'])).status).toBe(0);
    expect((await shell(['hostname'])).out).toBe('guest1\n');
  });

  it('top -n 2 shows threads by CPU over the interval; run starts a command', async () => {
    const r = await shell(['top', '-n', '2', '-p', '0.1']);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/2 threads on 1 CPUs\nID CPU %CPU +TIME +NAME\n1 +0 +25\.0 +\d+\.\d\d main\n/);
    requests.length = 0;
    expect((await shell(['run', '/hello.wasm --x'])).status).toBe(0);
    expect(requests).toEqual(['PUT /app/?command=%2Fhello.wasm+--x']);
  });

  it('api reaches any route; a bad command, option or unreachable API is one line', async () => {
    expect((await shell(['api', 'os', 'version'])).out).toBe('v0.1.0\n');
    expect((await shell(['api'])).out).toBe('API DESCRIPTION\nos  OS core API\n');
    expect(await shell(['frob'])).toMatchObject({
      status: 127,
      err: 'frob: command not found (help lists the commands)\n',
    });
    expect(await shell(['ls', '-z'])).toMatchObject({ status: 2, err: "ls: invalid option -- 'z' (help ls)\n" });
    const down = await shell(['--api', 'http://127.0.0.1:9', 'uptime']);
    expect(down).toMatchObject({
      status: 1,
      err: 'uptime: cannot reach the OSv API at http://127.0.0.1:9: ECONNREFUSED\n',
    });
    expect(spawnSync(process.execPath, [CLI, 'shell', '--bogus'], { encoding: 'utf8' })).toMatchObject({
      status: 2,
      stderr: "osv: shell: unknown option '--bogus' (osv shell --help)\n",
    });
  });
});

describe('osv shell, interactive in a pty', () => {
  it('prompts with the cwd, completes command names, keeps history, and leaves on exit', async () => {
    const history = join(mkdtempSync(join(tmpdir(), 'osv-shell-')), 'history');
    const child = spawn('script', ['-qfec', `${process.execPath} ${CLI} shell`, '/dev/null'], {
      env: { ...process.env, OSV_API: api, OSV_SHELL_HISTORY: history, TERM: 'xterm' }, // readline neither completes nor recalls under TERM=dumb,
    });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    const waitFor = async (text: string): Promise<void> => {
      for (let i = 0; i < 200 && !screen.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
      expect(screen).toContain(text);
    };
    await waitFor('/# ');
    child.stdin.write('cd etc\r');
    await waitFor('/etc# ');
    child.stdin.write('ca\t'); // Tab completes "ca" to "cat" (keys as typed: one at a time)
    await waitFor('cat');
    child.stdin.write(' hosts\r');
    await waitFor('127.0.0.1 localhost osv');
    child.stdin.write('exit\r');
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(0);
    expect(readFileSync(history, 'utf8')).toBe('cd etc\ncat hosts\nexit\n');
  });
});

describe('shell pieces', () => {
  it('splits words as OSv’s CLI does', () => {
    expect(shellWords(`ls  -l 'a b' "c \\" d" e'f'`)).toEqual(['ls', '-l', 'a b', 'c " d', 'ef']);
    expect(() => shellWords('cat "x')).toThrow(/unterminated double quote/);
  });

  it('formats modes, uptime and top screens', () => {
    expect(modeString({ type: 'DIRECTORY', permission: '755' })).toBe('drwxr-xr-x');
    expect(modeString({ type: 'FILE', permission: '640' })).toBe('-rw-r-----');
    expect(formatUptime(59, 'x 10:00:00 y')).toBe('10:00:00 up 0 min \n');
    expect(formatUptime(2 * 86400 + 3600 * 5 + 7 * 60, 'x 10:00:00 y')).toBe('10:00:00 up 2 days,  5:07 \n');
    const t = (ms: number) => ({
      time_ms: ms,
      list: [{ id: 7, cpu: 0xffffffff, cpu_ms: ms / 2, switches: 0, name: 'x' }],
    });
    expect(topScreen(t(2000), t(1000), 1, 10)).toBe('1 threads on 1 CPUs\nID CPU %CPU TIME NAME\n7  -   50.0 1.00 x\n');
  });
});

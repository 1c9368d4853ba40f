// JS-module apps end to end: `osv run app.mjs` links the module for the guest and boots it;
// examples/wget fetches from Linux's `python3 -m http.server` on the host's loopback through
// passt (the gateway address passt hands out by DHCP reaches the host's 127.0.0.1), resolving
// names through /etc/hosts and through DNS; examples/echo-server serves the host through
// --forward with poll().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, osv, tempFile } from './osv-cli.js';

const WGET = join(REPO, 'examples', 'wget', 'wget.mjs');
const ECHO = join(REPO, 'examples', 'echo-server', 'echo-server.mjs');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadlineMs) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The host's IPv4 default gateway: passt gives the guest the same one (and maps it to loopback). */
function hostGateway(): string {
  const routes = JSON.parse(execFileSync('ip', ['-4', '-j', 'route', 'show', 'default'], { encoding: 'utf8' })) as {
    gateway?: string;
  }[];
  const gw = routes.find((r) => r.gateway)?.gateway;
  if (!gw) throw new Error('the host has no IPv4 default route, which passt needs');
  return gw;
}

/** A DNS server (RFC 1035 §4.1) on 127.0.0.1:53/udp answering A queries from `names`, NXDOMAIN otherwise. */
function dnsServer(names: Record<string, string>): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (q, from) => {
    if (q.length < 12) return;
    let at = 12;
    const labels: string[] = [];
    while (at < q.length && q[at]! !== 0) {
      labels.push(q.subarray(at + 1, at + 1 + q[at]!).toString('latin1'));
      at += 1 + q[at]!;
    }
    const questionEnd = at + 5;
    const qtype = q.readUInt16BE(at + 1);
    const address = names[labels.join('.').toLowerCase()];
    const answer =
      address && qtype === 1
        ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...address.split('.').map(Number)])
        : Buffer.alloc(0);
    const header = Buffer.alloc(12);
    q.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | (address ? 0 : 3), 2); // response, RD, RA; NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer.length ? 1 : 0, 6);
    sock.send(Buffer.concat([header, q.subarray(12, questionEnd), answer]), from.port, from.address);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(53, '127.0.0.1', () => resolve(sock));
  });
}

function run(args: string[]): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
  return new Promise((resolve) =>
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out), stderr });
    }),
  );
}

describe('JS-module apps (osv run app.mjs)', () => {
  it('links the module with its relative imports and runs main(argv, env, libc): argv, env, exit status', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osv-js-'));
    writeFileSync(join(dir, 'words.mjs'), `export const shout = (w) => w.toUpperCase();\n`);
    writeFileSync(
      join(dir, 'app.mjs'),
      `import { shout } from './words.mjs';
       export default function main(argv, env, libc) {
         libc.write(1, argv.slice(1).map(shout).join(' ') + ' ' + (env.WHO ?? '-') + '\\n');
         return argv.length;
       }\n`,
    );
    const direct = osv(['run', join(dir, 'app.mjs'), 'a', 'b']);
    expect(direct.stderr).toBe('');
    expect(direct.stdout.toString()).toBe('A B -\n');
    expect(direct.status).toBe(3);
    // In an OSv command line (-e), with the module put into the guest by --file.
    const viaE = osv(['run', '--file', `/bin/app.mjs=${join(dir, 'app.mjs')}`, '-e', '--env=WHO=osv /bin/app.mjs x']);
    expect(viaE.stdout.toString()).toBe('X osv\n');
    expect(viaE.status).toBe(2);
    // From a usr.manifest too (host paths relative to the manifest).
    writeFileSync(join(dir, 'usr.manifest'), '/apps/app.mjs: app.mjs\n');
    const viaManifest = osv(['run', '--manifest', join(dir, 'usr.manifest'), '-e', '/apps/app.mjs m n o']);
    expect(viaManifest.stdout.toString()).toBe('M N O -\n');
    expect(viaManifest.status).toBe(4);
  });

  it('links a TypeScript app whose only package import is a type from @osv-ts/libc', () => {
    const app = tempFile(
      'typed.ts',
      `import type { Posix } from '@osv-ts/libc';
       export default function main(argv: string[], env: Record<string, string>, libc: Posix): number {
         return libc.write(1, \`typed \${argv.length}\\n\`);
       }\n`,
    );
    const r = osv(['run', app, 'x']);
    expect(r.stdout.toString()).toBe('typed 2\n');
    expect(r.status).toBe(8);
  });

  it('refuses at link time a module that imports host modules or packages', () => {
    const fsApp = tempFile(
      'uses-fs.mjs',
      `import { readFileSync } from 'node:fs';\nexport default () => readFileSync('/etc/passwd').length;\n`,
    );
    const r = osv(['run', fsApp]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot link JS app .*uses-fs\.mjs/);
    expect(r.stderr).toMatch(/'node:fs': a JS app runs inside the guest/);
    const dynamic = osv([
      'run',
      tempFile('dynamic.mjs', `export default () => { import('node:child_process'); return 0; };\n`),
    ]);
    expect(dynamic.status).toBe(2);
    expect(dynamic.stderr).toMatch(/dynamic import is not available in the guest/);
    const pkg = osv([
      'run',
      tempFile('uses-pkg.mjs', `import { Posix } from '@osv-ts/libc';\nexport default () => 0;\n`),
    ]);
    expect(pkg.status).toBe(2);
    expect(pkg.stderr).toMatch(/'@osv-ts\/libc'/);
  });

  it('finds no host globals at run time, even through the global object (the app has a compartment of its own)', () => {
    const app = tempFile(
      'escape.mjs',
      `export default function main() {
         const g = globalThis;
         console.log([g.process, g.Buffer, g.fetch, g.setTimeout, g.require].map((x) => typeof x).join(' '));
         return g.process === undefined ? 0 : g.process.getBuiltinModule('node:fs').readFileSync('/etc/hostname').length;
       }\n`,
    );
    const r = osv(['run', app]);
    // setTimeout is the compartment's own, which throws ENOSYS (js-app.test.ts in the kernel).
    expect(r.stdout.toString()).toBe('undefined undefined undefined function undefined\n');
    expect(r.status).toBe(0);
  });

  it('links the js-app module always and the socket layer only for a networked VM', () => {
    const app = tempFile('plain.mjs', `export default () => 0;\n`);
    const modules = (args: string[]): string[] =>
      /modules: (.*)/.exec(osv(['run', '--dry-run', ...args, app]).stderr)![1]!.split(', ');
    expect(modules([])).toEqual(['vfs', 'js-app', 'virtio-console']);
    const networked = modules(['-n']);
    expect(networked).toContain('posix-sockets');
    expect(networked).toContain('netstack');
    expect(networked.indexOf('netstack')).toBeLessThan(networked.indexOf('posix-sockets'));
  });

  it('reports an uncaught KernelError with its message and status 1', () => {
    const r = osv(['run', tempFile('enoent.mjs', `export default (argv, env, libc) => { libc.open('/missing'); };\n`)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/enoent\.mjs: ENOENT/);
  });
});

describe('examples/wget and examples/echo-server over passt (-n)', () => {
  let server: ChildProcess | undefined;
  let dns: dgram.Socket | undefined;
  let port = 0;
  const blob = randomBytes(700_000);
  const sha = createHash('sha256').update(blob).digest('hex');

  beforeAll(async () => {
    const www = mkdtempSync(join(tmpdir(), 'osv-www-'));
    writeFileSync(join(www, 'blob.bin'), blob);
    port = await freePort();
    server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', www], {
      stdio: 'ignore',
    });
    await waitForPort(port, Date.now() + 15_000);
    dns = await dnsServer({ 'files.dns.test': hostGateway() });
  }, 30_000);

  afterAll(() => {
    server?.kill();
    dns?.close();
  });

  it('downloads byte-exact by address, by an /etc/hosts name and by a DNS name, and fails on 404 with status 8', async () => {
    const gw = hostGateway();
    const hosts = tempFile('hosts', `127.0.0.1 localhost\n${gw} web.hosts.test\n`);
    const resolvConf = tempFile('resolv.conf', `nameserver ${gw}\noptions timeout:2 attempts:2\n`);
    const r = await run([
      'run',
      '-n',
      '--file',
      `/wget.mjs=${WGET}`,
      '--file',
      `/etc/hosts=${hosts}`,
      '--file',
      `/etc/resolv.conf=${resolvConf}`,
      '-e',
      `/wget.mjs http://${gw}:${port}/blob.bin; ` +
        `/wget.mjs -O /by-hosts.bin http://web.hosts.test:${port}/blob.bin; ` +
        `/wget.mjs -O /by-dns.bin http://files.dns.test:${port}/blob.bin; ` +
        `/wget.mjs -q -O /none http://${gw}:${port}/no-such-file`,
    ]);
    // The first command wrote the body to stdout; the others to files in the guest.
    expect(r.stdout.length).toBe(blob.length);
    expect(r.stdout.equals(blob)).toBe(true);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('wget: 200'));
    expect(lines).toEqual([
      `wget: 200 OK from ${gw} port ${port}: ${blob.length} bytes, sha256 ${sha}`,
      `wget: 200 OK from ${gw} port ${port}: ${blob.length} bytes, sha256 ${sha} -> /by-hosts.bin`,
      `wget: 200 OK from ${gw} port ${port}: ${blob.length} bytes, sha256 ${sha} -> /by-dns.bin`,
    ]);
    expect(r.status).toBe(8); // the last command: a 404 is a server error response
  }, 90_000);

  it('reports an unknown name with the resolver error and status 4', async () => {
    const gw = hostGateway();
    const resolvConf = tempFile('resolv2.conf', `nameserver ${gw}\n`);
    const r = await run([
      'run',
      '-n',
      '--file',
      `/etc/resolv.conf=${resolvConf}`,
      WGET,
      `http://nowhere.dns.test:${port}/`,
    ]);
    expect(r.stderr).toMatch(/unable to resolve host address 'nowhere\.dns\.test': Name or service not known/);
    expect(r.status).toBe(4);
  }, 60_000);

  it("resolves through the DNS servers passt hands out by DHCP (the host's resolvers), as the host does", async () => {
    // No /etc/resolv.conf in the guest: the resolver uses the DHCP servers, which passt copies
    // from the host's resolv.conf and reaches through its NAT.
    const name = 'deb.debian.org';
    const app = tempFile(
      'resolve.mjs',
      `export default function main(argv, env, libc) {
         const c = libc.constants;
         const r = libc.getaddrinfo(argv[1], null, { family: c.AF_INET, socktype: c.SOCK_STREAM });
         console.log(r.map((a) => a.address.address).sort().join(' '));
         return 0;
       }\n`,
    );
    const host = await import('node:dns').then((d) =>
      d.promises.resolve4(name).then(
        (a) => a.sort().join(' '),
        () => undefined,
      ),
    );
    const r = await run(['run', '-n', app, name]);
    if (host === undefined) {
      expect(r.status).toBe(1); // the host cannot resolve it either (offline): neither can the guest
      expect(r.stderr).toMatch(/AddrInfo|resolution|not known/);
    } else {
      expect(r.stderr).toBe('');
      expect(r.stdout.toString()).toBe(`${host}\n`);
      expect(r.status).toBe(0);
    }
  }, 60_000);

  it('echo-server: serves two concurrent host clients through --forward with poll(), then exits 0', async () => {
    const hostPort = await freePort();
    const child = spawn(process.execPath, [CLI, 'run', '-n', '--forward', `tcp:${hostPort}:7`, ECHO, '7', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const echo = async (data: Buffer): Promise<Buffer> => {
        for (const deadline = Date.now() + 30_000; ;) {
          try {
            return await new Promise<Buffer>((resolve, reject) => {
              const chunks: Buffer[] = [];
              const s = net.connect(hostPort, '127.0.0.1', () => s.end(data));
              s.on('data', (d) => chunks.push(d));
              s.on('end', () => resolve(Buffer.concat(chunks)));
              s.on('error', reject);
            });
          } catch (e) {
            // passt accepts on the host port before the guest listens; retry until it does.
            if (Date.now() > deadline) throw e;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      };
      await new Promise<void>((resolve) => {
        const check = (): void => (stderr.includes('listening') ? resolve() : void setTimeout(check, 100));
        check();
      });
      const a = randomBytes(400_000);
      const b = Buffer.from('hello, echo\n');
      const [ea, eb] = await Promise.all([echo(a), echo(b)]);
      expect(ea.equals(a)).toBe(true);
      expect(eb.equals(b)).toBe(true);
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    expect(stderr).toMatch(/echo-server: served 2 connection\(s\)/);
  }, 90_000);
});

// JS-module apps on the inprocess kernel: the linked format (JS_APP_HEADER + a CommonJS body, as
// `osv run` produces it), main's argv/env/libc, exit statuses, sockets over loopback, and the
// SES compartment the app runs in (this test process is locked down by the first app it runs).
import { describe, expect, it } from 'vitest';
import type { KernelModule } from '@osv-ts/kernel-api';
import vfsModule from '@osv-ts/vfs/vfs-module';
import netstackModule from '@osv-ts/netstack/netstack-module';
import posixSocketsModule from '@osv-ts/libc/posix-sockets-module';
import jsAppModule from '../js-app-module.js';
import { runWasm } from '../run-wasm.js';
import { JS_APP_LIBC_CALLS } from './js-app.js';
import { JS_APP_HEADER } from './js-app-format.js';

function run(
  body: string,
  options: { args?: string[]; loaderOptions?: string; modules?: KernelModule[]; raw?: boolean; name?: string } = {},
) {
  let out = '';
  let err = '';
  const dec = new TextDecoder();
  const program = new TextEncoder().encode(options.raw ? body : JS_APP_HEADER + body);
  const name = options.name ?? '/app.mjs';
  const status = runWasm(program, {
    name,
    args: [name, ...(options.args ?? [])],
    loaderOptions: options.loaderOptions ?? '',
    modules: options.modules ?? [vfsModule, netstackModule, posixSocketsModule, jsAppModule],
    stdout: (b) => (out += dec.decode(b)),
    stderr: (b) => (err += dec.decode(b)),
  });
  return { status, out, err };
}

describe('JS-module apps', () => {
  it('calls main(argv, env, libc): console and write(1/2) reach the consoles, the return value is the status', () => {
    const r = run(
      `module.exports.default = function main(argv, env, libc) {
         console.log('hello', argv.join('|'), env.GREETING);
         libc.write(2, 'to stderr\\n');
         return 7;
       };`,
      { args: ['a', 'b c'], loaderOptions: '--env=GREETING=hi' },
    );
    expect(r).toEqual({ status: 7, out: 'hello /app.mjs|a|b c hi\n', err: 'to stderr\n' });
  });

  it('maps exit(), uncaught KernelError, other exceptions and Promises to statuses and messages', () => {
    expect(run(`module.exports.default = (argv, env, libc) => { libc.exit(5); };`).status).toBe(5);
    const missing = run(`module.exports.default = (argv, env, libc) => { libc.open('/no/such/file'); };`);
    expect(missing.status).toBe(1);
    expect(missing.err).toMatch(/\/app\.mjs: ENOENT/);
    const thrown = run(`module.exports.default = () => { throw new TypeError('boom'); };`);
    expect(thrown.status).toBe(1);
    expect(thrown.err).toMatch(/uncaught TypeError: boom/);
    const async = run(`module.exports.default = async () => 0;`);
    expect(async.status).toBe(1);
    expect(async.err).toMatch(/main returned a Promise/);
    expect(run(`module.exports.default = () => 256 + 3;`).status).toBe(3);
    const noMain = run(`module.exports.x = 1;`);
    expect(noMain.status).toBe(126);
    expect(noMain.err).toMatch(/exports no default function/);
    const unlinked = run(`export default function main() { return 0; }`, { raw: true });
    expect(unlinked.status).toBe(126);
    expect(unlinked.err).toMatch(/not a linked JS app/);
  });

  it('sees no host facilities: process, require, Buffer are undefined; timers fail with ENOSYS', () => {
    const r = run(`module.exports.default = (argv, env, libc) => {
        console.log(typeof process, typeof require, typeof Buffer, typeof global);
        try { setTimeout(() => {}, 1); } catch (e) { console.log(e.errno === libc.constants.ENOSYS); }
        return 0;
      };`);
    expect(r.out).toBe('undefined undefined undefined undefined\ntrue\n');
  });

  it('serves and connects over loopback with the BSD socket calls, poll and getaddrinfo', () => {
    const r = run(`module.exports.default = (argv, env, libc) => {
        const c = libc.constants;
        const [ai] = libc.getaddrinfo('localhost', 'echo', { family: c.AF_INET, socktype: c.SOCK_STREAM });
        const l = libc.socket(ai.family, ai.socktype | c.SOCK_CLOEXEC);
        libc.setsockopt(l, c.SOL_SOCKET, c.SO_REUSEADDR, 1);
        libc.bind(l, ai.address);
        libc.listen(l, 4);
        const s = libc.socket(c.AF_INET, c.SOCK_STREAM | c.SOCK_NONBLOCK);
        try { libc.connect(s, ai.address); } catch (e) { if (e.errno !== c.EINPROGRESS) throw e; }
        const ready = [{ fd: l, events: c.POLLIN }, { fd: s, events: c.POLLOUT }];
        while (ready.some((p) => !p.revents)) libc.poll(ready, 1000);
        const a = libc.accept(l);
        libc.fcntl(s, c.F_SETFL, 0);
        libc.send(s, 'ping over loopback');
        const buf = new Uint8Array(64);
        const n = libc.recv(a, buf);
        console.log(new TextDecoder().decode(buf.subarray(0, n)), libc.getpeername(a).address, libc.getsockname(l).port);
        return libc.getsockopt(s, c.SOL_SOCKET, c.SO_ERROR);
      };`);
    expect(r).toEqual({ status: 0, out: 'ping over loopback 127.0.0.1 7\n', err: '' });
  });

  it('without the posix-sockets module socket() fails with EAFNOSUPPORT', () => {
    const r = run(
      `module.exports.default = (argv, env, libc) => { libc.socket(libc.constants.AF_INET, libc.constants.SOCK_STREAM); };`,
      { modules: [vfsModule, jsAppModule] },
    );
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/EAFNOSUPPORT/);
  });

  it('hands --tcplisten sockets to the app as fd 3, as for WASI apps', () => {
    const r = run(
      `module.exports.default = (argv, env, libc) => {
         const c = libc.constants;
         const name = libc.getsockname(3);
         const s = libc.socket(c.AF_INET, c.SOCK_STREAM);
         libc.connect(s, { family: c.AF_INET, address: '127.0.0.1', port: name.port });
         const a = libc.accept(3);
         libc.send(a, 'over fd 3');
         const buf = new Uint8Array(16);
         console.log(name.address + ':' + name.port, new TextDecoder().decode(buf.subarray(0, libc.recv(s, buf))));
         return 0;
       };`,
      { loaderOptions: '--tcplisten=127.0.0.1:8080' },
    );
    expect(r).toEqual({ status: 0, out: '127.0.0.1:8080 over fd 3\n', err: '' });
  });

  it('refuses a JS app (exit 126) in a kernel without the js-app module', () => {
    const r = run(`module.exports.default = () => 0;`, { modules: [vfsModule] });
    expect(r.status).toBe(126);
    expect(r.err).toMatch(/a JS app needs the js-app kernel module/);
  });
});

describe('the JS app compartment', () => {
  // Each probe runs in the app; "blocked" means it threw or found nothing.
  const probe = (checks: Record<string, string>): Record<string, string> => {
    const body = Object.entries(checks)
      .map(
        ([name, expr]) =>
          `try { const v = (${expr}); out[${JSON.stringify(name)}] = v === undefined || v === null ? 'absent' : 'REACHED ' + typeof v; }` +
          ` catch (e) { out[${JSON.stringify(name)}] = 'blocked ' + e.name; }`,
      )
      .join('\n');
    const r = run(
      `module.exports.default = (argv, env, libc) => { const out = {}; ${body}\n console.log(JSON.stringify(out)); return 0; };`,
    );
    expect(r.err).toBe('');
    return JSON.parse(r.out) as Record<string, string>;
  };

  it('gives no host globals, no working Function constructors and no global object of the kernel', () => {
    const seen = probe({
      process: 'typeof process === "undefined" ? undefined : process',
      'globalThis.process': 'globalThis.process',
      require: 'typeof require === "undefined" ? undefined : require',
      Buffer: 'globalThis.Buffer',
      fetch: 'globalThis.fetch',
      WebAssembly: 'globalThis.WebAssembly',
      SharedArrayBuffer: 'globalThis.SharedArrayBuffer',
      performance: 'globalThis.performance',
      'Function constructor': "(function(){}).constructor('return this')()",
      'AsyncFunction constructor': "(async function(){}).constructor('return 1')",
      'GeneratorFunction constructor': "(function*(){}).constructor('yield 1')",
      'constructor of a libc call': "libc.write.constructor('return this')()",
      'constructor of a KernelError':
        "(() => { try { libc.open('/none'); } catch (e) { return e.constructor.constructor('return this')(); } })()",
      "compartment Function's this.process": "Function('return this')().process",
      'indirect eval this.process': "(0, eval)('this').process",
      'libc.process (the fd table)': 'libc.process',
      'libc.vfs': 'libc.vfs',
    });
    for (const [name, result] of Object.entries(seen)) expect(result, name).toMatch(/^(absent|blocked)/);
    expect(seen['Function constructor']).toBe('blocked TypeError');
  });

  it('refuses an app whose source has an import( expression, even inside a Function body (126)', () => {
    const direct = run(`module.exports.default = () => { import('node:fs'); return 0; };`);
    expect(direct.status).toBe(126);
    expect(direct.err).toMatch(/import expression rejected/);
    const viaFunction = run(
      `module.exports.default = () => { Function('return imp' + 'ort("node:fs")')(); return 0; };`,
    );
    expect(viaFunction.status).toBe(1);
    expect(viaFunction.err).toMatch(/uncaught SyntaxError: Possible import expression rejected/);
  });

  it('freezes the intrinsics the kernel shares with the app, and the libc object', () => {
    const r = run(`module.exports.default = (argv, env, libc) => {
        const tries = [
          () => { Array.prototype.push = () => 0; },
          () => { Object.prototype.polluted = 1; },
          () => { libc.write = () => 0; },
          () => { libc.constants.O_RDONLY = 9; },
          () => { JSON.parse = () => 0; },
        ];
        return tries.filter((t) => { try { t(); return true; } catch { return false; } }).length;
      };`);
    expect(r.status).toBe(0);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('gives libc exactly its calls and constants', () => {
    const r = run(
      `module.exports.default = (argv, env, libc) => { console.log(Object.keys(libc).sort().join(',')); };`,
    );
    expect(r.out.trim()).toBe(['constants', ...JS_APP_LIBC_CALLS].sort().join(','));
  });

  it('keeps the endowments apps use: TextEncoder/Decoder, Date, Math.random, console', () => {
    const r = run(`module.exports.default = () => {
        const ok = new TextDecoder().decode(new TextEncoder().encode('ok'));
        console.log(ok, typeof Date.now(), Date.now() > 0, Math.random() < 1);
        return 0;
      };`);
    expect(r.out).toBe('ok number true true\n');
  });
});

// JS-module apps on the inprocess kernel: the linked format (JS_APP_HEADER + a CommonJS body, as
// `osv run` produces it), main's argv/env/libc, exit statuses, and sockets over loopback.
import { describe, expect, it } from 'vitest';
import type { KernelModule } from '@osv-ts/kernel-api';
import vfsModule from '@osv-ts/vfs/vfs-module';
import netstackModule from '@osv-ts/netstack/netstack-module';
import posixSocketsModule from '@osv-ts/libc/posix-sockets-module';
import { runWasm } from '../run-wasm.js';
import { JS_APP_HEADER } from './js-app.js';

function run(
  body: string,
  options: { args?: string[]; loaderOptions?: string; modules?: KernelModule[]; raw?: boolean; name?: string } = {},
) {
  let out = '';
  let err = '';
  const dec = new TextDecoder();
  const program = new TextEncoder().encode(options.raw ? body : JS_APP_HEADER + body);
  const status = runWasm(program, {
    name: options.name ?? '/app.mjs',
    args: options.args ?? [],
    loaderOptions: options.loaderOptions ?? '',
    modules: options.modules ?? [vfsModule, netstackModule, posixSocketsModule],
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
      { modules: [vfsModule] },
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
});

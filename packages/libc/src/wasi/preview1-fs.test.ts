// The WASI file-system binding against a real VFS: preopens, sandbox escapes, fd_readdir's
// truncation protocol, rights.
import { describe, expect, it } from 'vitest';
import { HostClock, Scheduler } from '@osv-ts/core-sched';
import { RamFs, Vfs, O_CREAT, O_WRONLY } from '@osv-ts/vfs';
import { Process } from '../process.js';
import { installPreopens, wasiFsExtension, fsErrorToWasi } from './preview1-fs.js';
import { WasiPreview1 } from './preview1.js';
import { WasiErrno } from './wasi-errno.js';
import { Rights } from './preview1-types.js';

function setup(preopens: string[]) {
  const clock = new HostClock();
  const sched = new Scheduler(clock, { pollInterrupts: () => false, idle: () => false });
  const vfs = new Vfs({ clock, blocker: sched });
  vfs.mountRoot(new RamFs());
  vfs.mkdir('/data');
  vfs.mkdir('/data/inner');
  vfs.mkdir('/secret');
  const write = (p: string, s: string) => {
    const f = vfs.open(p, O_WRONLY | O_CREAT, 0o644);
    f.write(new TextEncoder().encode(s));
    f.close();
  };
  write('/secret/key', 'top secret');
  write('/data/inner/ok.txt', 'fine');
  vfs.symlink('/secret/key', '/data/abs-link');
  vfs.symlink('../secret/key', '/data/rel-escape');
  vfs.symlink('inner/ok.txt', '/data/rel-ok');
  const process = new Process({ args: ['t'], env: [], clock, entropy: { fill: () => {} }, sched });
  const wasi = new WasiPreview1(process);
  wasi.extend(wasiFsExtension(vfs), fsErrorToWasi);
  const fns = wasi.imports() as unknown as Record<string, (...a: unknown[]) => number>;
  const memory = new WebAssembly.Memory({ initial: 1 });
  wasi.memory.attach(memory);
  // fds 0-2 are stdio in a real process; occupy them so the preopen lands on 3 as it would.
  for (let i = 0; i < 3; i++)
    process.fds.allocate({
      kind: 'unknown',
      statusFlags: 0,
      readable: false,
      writable: false,
      read: () => 0,
      write: () => 0,
      close: () => {},
      stat: () => ({ dev: 0n, ino: 0n, kind: 'unknown', nlink: 1n, size: 0n, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n }),
    });
  expect(installPreopens(vfs, process, preopens)).toEqual(preopens.map((_, i) => 3 + i));
  const mem = new Uint8Array(memory.buffer);
  const dv = new DataView(memory.buffer);
  const str = (at: number, s: string): [number, number] => {
    const b = new TextEncoder().encode(s);
    mem.set(b, at);
    return [at, b.length];
  };
  const open = (dirfd: number, path: string, follow = true): number | { fd: number } => {
    const [p, n] = str(1000, path);
    const rights = Rights.FD_READ | Rights.FD_SEEK | Rights.PATH_OPEN | Rights.FD_READDIR;
    const r = fns.path_open!(dirfd, follow ? 1 : 0, p, n, 0, rights, rights, 0, 2000);
    return r === 0 ? { fd: dv.getUint32(2000, true) } : r;
  };
  return { vfs, process, fns, mem, dv, str, open };
}

describe('WASI preopens and sandboxing', () => {
  it('describes preopens with fd_prestat_get / fd_prestat_dir_name', () => {
    const t = setup(['/data']);
    expect(t.fns.fd_prestat_get!(3, 100)).toBe(0);
    expect(t.dv.getUint32(104, true)).toBe(5);
    expect(t.fns.fd_prestat_dir_name!(3, 200, 5)).toBe(0);
    expect(new TextDecoder().decode(t.mem.subarray(200, 205))).toBe('/data');
    expect(t.fns.fd_prestat_get!(4, 100)).toBe(WasiErrno.BADF);
  });

  it('opens paths inside a preopen and refuses every way out (.., absolute, absolute symlink, symlink to ..)', () => {
    const t = setup(['/data']);
    expect(t.open(3, 'inner/ok.txt')).toEqual({ fd: expect.any(Number) });
    expect(t.open(3, 'rel-ok')).toEqual({ fd: expect.any(Number) });
    expect(t.open(3, '../secret/key')).toBe(WasiErrno.NOTCAPABLE);
    expect(t.open(3, 'inner/../../secret/key')).toBe(WasiErrno.NOTCAPABLE);
    expect(t.open(3, '/secret/key')).toBe(WasiErrno.NOTCAPABLE);
    expect(t.open(3, 'abs-link')).toBe(WasiErrno.NOTCAPABLE);
    expect(t.open(3, 'rel-escape')).toBe(WasiErrno.NOTCAPABLE);
    // A directory fd opened from the preopen is a capability for its own subtree only.
    const inner = t.open(3, 'inner') as { fd: number };
    expect(t.open(inner.fd, 'ok.txt')).toEqual({ fd: expect.any(Number) });
    expect(t.open(inner.fd, '../inner/ok.txt')).toBe(WasiErrno.NOTCAPABLE);
    expect(t.open(inner.fd, '../../secret/key')).toBe(WasiErrno.NOTCAPABLE);
  });

  it('treats the root preopen as the VM root: absolute symlinks resolve inside it, as on Linux', () => {
    const t = setup(['/']);
    expect(t.open(3, 'data/abs-link')).toEqual({ fd: expect.any(Number) });
    expect(t.open(3, '../secret/key')).toEqual({ fd: expect.any(Number) }); // ".." at "/" is "/"
    expect(t.open(3, 'data/abs-link', false)).toBe(WasiErrno.LOOP); // O_NOFOLLOW on a symlink
  });

  it('truncates fd_readdir output at the buffer end and resumes from the last cookie', () => {
    const t = setup(['/data']);
    const names: string[] = [];
    let cookie = 0n;
    for (let round = 0; round < 50; round++) {
      expect(t.fns.fd_readdir!(3, 4096, 40, cookie, 4000)).toBe(0);
      const used = t.dv.getUint32(4000, true);
      let at = 4096;
      let progressed = false;
      while (at + 24 <= 4096 + used) {
        const next = t.dv.getBigUint64(at, true);
        const len = t.dv.getUint32(at + 16, true);
        if (at + 24 + len > 4096 + used) break; // cut short: retry from the previous cookie
        names.push(new TextDecoder().decode(t.mem.subarray(at + 24, at + 24 + len)));
        cookie = next;
        at += 24 + len;
        progressed = true;
      }
      if (used < 40) break;
      expect(progressed).toBe(true);
    }
    expect(names.sort()).toEqual(['.', '..', 'abs-link', 'inner', 'rel-escape', 'rel-ok']);
  });

  it('enforces rights: no path_open through a directory fd without PATH_OPEN; no write without FD_WRITE', () => {
    const t = setup(['/data']);
    const [p, n] = t.str(1000, 'inner');
    expect(t.fns.path_open!(3, 1, p, n, 0, Rights.FD_READ, 0n, 0, 2000)).toBe(0);
    const bare = t.dv.getUint32(2000, true);
    expect(t.open(bare, 'ok.txt')).toBe(WasiErrno.NOTCAPABLE);
    const r = t.open(3, 'inner/ok.txt') as { fd: number };
    t.dv.setUint32(100, 200, true);
    t.dv.setUint32(104, 1, true);
    expect(t.fns.fd_write!(r.fd, 100, 1, 300)).toBe(WasiErrno.BADF);
  });
});

// The WASI file-system binding against a real VFS: preopens and fd_readdir's truncation
// protocol. Rights: preview1-rights.test.ts; directory capabilities: preview1-capabilities.test.ts.
import { describe, expect, it } from 'vitest';
import { HostClock, Scheduler } from '@osv-ts/core-sched';
import { RamFs, Vfs, O_CREAT, O_WRONLY } from '@osv-ts/vfs';
import { Process } from '../process.js';
import { installPreopens, wasiFsExtension, fsErrorToWasi } from './preview1-fs.js';
import { WasiPreview1 } from './preview1.js';
import { WasiErrno } from './wasi-errno.js';

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
  return { vfs, process, fns, mem, dv, str };
}

describe('WASI preopens and fd_readdir', () => {
  it('describes preopens with fd_prestat_get / fd_prestat_dir_name', () => {
    const t = setup(['/data']);
    expect(t.fns.fd_prestat_get!(3, 100)).toBe(0);
    expect(t.dv.getUint32(104, true)).toBe(5);
    expect(t.fns.fd_prestat_dir_name!(3, 200, 5)).toBe(0);
    expect(new TextDecoder().decode(t.mem.subarray(200, 205))).toBe('/data');
    expect(t.fns.fd_prestat_get!(4, 100)).toBe(WasiErrno.BADF);
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
});

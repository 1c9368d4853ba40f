import type { Console } from '@osv-ts/kernel-api';
import { Errno } from '@osv-ts/kernel-api';
import { describe, expect, it } from 'vitest';
import { dec, enc, errnoOf, ramVfs } from '../../../test/helpers.js';
import { O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, POLLIN, POLLOUT, SEEK_SET } from '../../open-flags.js';
import { ProcFs } from '../procfs/procfs.js';
import { RamFs } from '../ramfs/ramfs.js';
import { DevFs } from './devfs.js';

class TestConsole implements Console {
  out: number[] = [];
  input: Uint8Array[] = [];
  ended = false;
  isTerminal = true;
  write(d: Uint8Array): void {
    this.out.push(...d);
  }
  flush(): void {}
  read(into: Uint8Array): number {
    const chunk = this.input.shift();
    if (!chunk) return this.ended ? 0 : -1;
    into.set(chunk.subarray(0, into.length));
    return Math.min(chunk.length, into.length);
  }
}

function setup() {
  const vfs = ramVfs();
  const console = new TestConsole();
  let counter = 0;
  vfs.mkdir('/dev');
  vfs.mount('/dev', new DevFs({ console, entropy: { fill: (b) => b.forEach((_, i) => (b[i] = counter++ & 0xff)) } }));
  return { vfs, console };
}

describe('devfs', () => {
  it('null, zero, urandom behave as on Linux', () => {
    const { vfs } = setup();
    const b = new Uint8Array(8).fill(7);
    const nul = vfs.open('/dev/null', O_RDWR);
    expect(nul.read(b)).toBe(0);
    expect(nul.write(enc('gone'))).toBe(4);
    expect(nul.seek(0, SEEK_SET)).toBe(0);
    expect(vfs.open('/dev/zero', O_RDONLY).read(b)).toBe(8);
    expect([...b]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    vfs.open('/dev/urandom', O_RDONLY).read(b);
    expect([...b]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const st = vfs.stat('/dev/null');
    expect(st.mode & 0o170000).toBe(0o020000);
    expect(st.rdev).toBe((1 << 8) | 3);
    expect(vfs.stat('/dev/urandom').rdev).toBe((1 << 8) | 9);
  });

  it('console writes reach the Console; reads block, EAGAIN when non-blocking, 0 at end of input', () => {
    const { vfs, console } = setup();
    const tty = vfs.open('/dev/tty', O_RDWR);
    expect(tty.isTerminal()).toBe(true);
    tty.write(enc('hi\n'));
    expect(dec(new Uint8Array(console.out))).toBe('hi\n');
    expect(errnoOf(() => tty.seek(0, SEEK_SET))).toBe(Errno.ESPIPE);
    const nb = vfs.open('/dev/console', O_RDONLY | O_NONBLOCK);
    const b = new Uint8Array(16);
    expect(errnoOf(() => nb.read(b))).toBe(Errno.EAGAIN);
    expect(nb.poll(POLLIN | POLLOUT)).toBe(POLLOUT);
    console.input.push(enc('abc'));
    expect(nb.poll(POLLIN)).toBe(POLLIN);
    // The chunk poll fetched is what the next read returns, through either device.
    expect(dec(b.subarray(0, tty.read(b)))).toBe('abc');
    console.ended = true;
    expect(tty.read(b)).toBe(0);
    expect(errnoOf(() => vfs.open('/dev/nope', O_WRONLY))).toBe(Errno.ENOENT);
  });
});

describe('procfs', () => {
  it('serves meminfo, uptime, mounts and /proc/self from the provider and the mount table', () => {
    const { vfs } = setup();
    vfs.mkdir('/proc');
    vfs.mkdir('/tmp');
    vfs.mount('/tmp', new RamFs());
    vfs.mount(
      '/proc',
      new ProcFs({
        uptimeNs: () => 12_345_000_000,
        memory: () => ({ totalBytes: 64 * 1024 * 1024, freeBytes: 48 * 1024 * 1024 }),
        cpus: () => ({ count: 2, modelName: 'osv-ts vCPU' }),
        self: () => ({
          pid: 7,
          name: 'app',
          cmdline: ['/app.wasm', 'x'],
          environ: ['A=1'],
          cwd: '/tmp',
          fds: () => [
            { fd: 0, path: '/dev/console' },
            { fd: 3, path: '/tmp/f' },
          ],
        }),
      }),
      { source: 'none' },
    );
    const read = (p: string): string => {
      const f = vfs.open(p, O_RDONLY);
      const b = new Uint8Array(4096);
      let n = 0;
      for (let k; (k = f.read(b.subarray(n))) > 0;) n += k;
      return dec(b.subarray(0, n));
    };
    expect(read('/proc/meminfo')).toBe(
      'MemTotal:          65536 kB\nMemFree:           49152 kB\nMemAvailable:      49152 kB\n',
    );
    expect(read('/proc/uptime')).toBe('12.35 0.00\n');
    expect(read('/proc/mounts')).toBe(
      'none / ramfs rw 0 0\nnone /dev devfs rw 0 0\nnone /tmp ramfs rw 0 0\nnone /proc proc rw 0 0\n',
    );
    expect(read('/proc/self/cmdline')).toBe('/app.wasm\0x\0');
    expect(vfs.readlink('/proc/self')).toBe('7');
    expect(vfs.readlink('/proc/self/fd/3')).toBe('/tmp/f');
    expect(vfs.stat('/proc/self/cwd').ino).toBe(vfs.stat('/tmp').ino);
    expect(read('/proc/cpuinfo').match(/processor/g)?.length).toBe(2);
    expect(errnoOf(() => vfs.open('/proc/meminfo', O_WRONLY))).toBe(Errno.EACCES);
    expect(vfs.stat('/proc/self/fd').ino).toBe(vfs.stat('/proc/7/fd').ino);
  });
});

import { describe, expect, it } from 'vitest';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { HostClock, Scheduler } from '@osv-ts/core-sched';
import { RamFs, Vfs, O_CREAT, O_RDWR, O_APPEND, O_CLOEXEC } from '@osv-ts/vfs';
import { Posix, F_GETFD, F_SETFD, FD_CLOEXEC, F_GETFL } from './posix.js';
import { Process } from './process.js';

function posix(): Posix {
  const clock = new HostClock();
  const sched = new Scheduler(clock, { pollInterrupts: () => false, idle: () => false });
  const vfs = new Vfs({ clock, blocker: sched });
  vfs.mountRoot(new RamFs());
  return new Posix(new Process({ args: [], env: ['HOME=/root'], clock, entropy: { fill: () => {} }, sched }), vfs);
}

describe('Posix (the JS apps API)', () => {
  it('opens, writes, reads back, dups and closes over the process fd table', () => {
    const p = posix();
    const fd = p.open('/f', O_RDWR | O_CREAT, 0o644);
    expect(fd).toBe(0);
    expect(p.write(fd, 'hello')).toBe(5);
    expect(p.lseek(fd, 0, 0)).toBe(0);
    const buf = new Uint8Array(16);
    expect(p.read(fd, buf)).toBe(5);
    const d = p.dup(fd);
    expect(p.lseek(d, 1, 0)).toBe(1);
    expect(p.lseek(fd, 0, 1)).toBe(1); // shared offset: one open file description
    p.close(fd);
    expect(p.pread(d, buf, 0)).toBe(5);
    p.close(d);
    expect(() => p.read(d, buf)).toThrow(KernelError);
    expect(p.stat('/f').size).toBe(5);
    expect(p.getenv('HOME')).toBe('/root');
  });

  it('supports fcntl close-on-exec and status flags, pipes and directories', () => {
    const p = posix();
    const fd = p.open('/a', O_RDWR | O_CREAT | O_CLOEXEC | O_APPEND);
    expect(p.fcntl(fd, F_GETFD)).toBe(FD_CLOEXEC);
    p.fcntl(fd, F_SETFD, 0);
    expect(p.fcntl(fd, F_GETFD)).toBe(0);
    expect(p.fcntl(fd, F_GETFL) & O_APPEND).toBe(O_APPEND);
    const [r, w] = p.pipe();
    p.write(w, 'x');
    const b = new Uint8Array(4);
    expect(p.read(r, b)).toBe(1);
    p.mkdir('/d');
    p.symlink('/a', '/d/l');
    expect(p.readdir('/d')).toEqual(['l']);
    expect(p.readlink('/d/l')).toBe('/a');
    try {
      p.rmdir('/nope');
    } catch (e) {
      expect((e as KernelError).errno).toBe(Errno.ENOENT);
    }
  });
});

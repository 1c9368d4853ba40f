// The cheap-call paths of the preview1 binding (issue 14): u64 results written as two u32
// halves, the exact-arity errno wrappers, the per-directory lookup options and the last-path
// cache. Each test states what the app must still observe, so a shortcut that changes it fails.
import { describe, expect, it } from 'vitest';
import { Scheduler, Tracer, VirtualClock } from '@osv-ts/core-sched';
import { ProcessExit, Process } from '../process.js';
import { WasiFsHarness } from '../../test/wasi-fs-harness.js';
import { ClockId, PREVIEW1_FUNCTIONS } from './preview1-types.js';
import { WasiPreview1 } from './preview1.js';
import { WasiErrno as E } from './wasi-errno.js';

type ImportFn = (...args: (number | bigint)[]) => number;

function clockProcess(nowNs: number, tracer?: Tracer) {
  const clock = new VirtualClock(1_700_000_000_123_456_789n);
  const sched = new Scheduler(clock, { pollInterrupts: () => false, idle: () => false });
  const process = new Process({
    args: ['t'],
    env: [],
    clock,
    entropy: { fill: () => {} },
    sched,
    ...(tracer ? { tracer } : {}),
  });
  clock.advanceTo(nowNs);
  const wasi = new WasiPreview1(process);
  const memory = new WebAssembly.Memory({ initial: 1 });
  wasi.memory.attach(memory);
  const fn = wasi.imports() as unknown as Record<string, ImportFn>;
  return { clock, fn, view: new DataView(memory.buffer) };
}

describe('clock_time_get', () => {
  it('writes monotonic and CPU time as exact u64 values above 2^32 ns', () => {
    const t = clockProcess(2 ** 40 + 123_456_789);
    expect(t.fn.clock_time_get!(ClockId.MONOTONIC, 1n, 64)).toBe(E.SUCCESS);
    expect(t.view.getBigUint64(64, true)).toBe(2n ** 40n + 123_456_789n);
    // The process started at 0 on this clock: its CPU time is the same figure.
    expect(t.fn.clock_time_get!(ClockId.PROCESS_CPUTIME_ID, 1n, 72)).toBe(E.SUCCESS);
    expect(t.view.getBigUint64(72, true)).toBe(2n ** 40n + 123_456_789n);
    expect(t.fn.clock_time_get!(ClockId.THREAD_CPUTIME_ID, 1n, 80)).toBe(E.SUCCESS);
    expect(t.view.getBigUint64(80, true)).toBe(2n ** 40n + 123_456_789n);
  });

  it('writes realtime exactly, past 2^53 ns', () => {
    const t = clockProcess(5);
    expect(t.fn.clock_time_get!(ClockId.REALTIME, 0n, 64)).toBe(E.SUCCESS);
    expect(t.view.getBigUint64(64, true)).toBe(1_700_000_000_123_456_794n);
  });

  it('refuses an unknown clock with EINVAL before touching memory, and a bad pointer with EFAULT', () => {
    const t = clockProcess(7);
    t.view.setBigUint64(64, 0xfeedn, true);
    expect(t.fn.clock_time_get!(4, 0n, 64)).toBe(E.INVAL);
    expect(t.fn.clock_time_get!(-1, 0n, 64)).toBe(E.INVAL);
    expect(t.view.getBigUint64(64, true)).toBe(0xfeedn);
    expect(t.fn.clock_time_get!(ClockId.MONOTONIC, 0n, 65536 - 4)).toBe(E.FAULT);
    expect(t.fn.clock_time_get!(ClockId.MONOTONIC, 0n, -8)).toBe(E.FAULT);
  });
});

describe('the errno wrappers', () => {
  it('take exactly the parameters of each implementation', () => {
    const t = clockProcess(0);
    expect(t.fn.clock_time_get!.length).toBe(3);
    expect(t.fn.fd_write!.length).toBe(4);
    expect(t.fn.proc_exit!.length).toBe(1);
    for (const name of PREVIEW1_FUNCTIONS) expect(typeof t.fn[name]).toBe('function');
  });

  it('trace every call with its errno: successes, kernel errors, and proc_exit', () => {
    const tracer = new Tracer(new VirtualClock());
    tracer.enable('wasi_call');
    const t = clockProcess(1, tracer);
    expect(t.fn.clock_time_get!(ClockId.MONOTONIC, 0n, 64)).toBe(E.SUCCESS);
    expect(t.fn.fd_close!(42)).toBe(E.BADF);
    expect(t.fn.clock_time_get!(ClockId.MONOTONIC, 0n, 1 << 20)).toBe(E.FAULT);
    expect(() => t.fn.proc_exit!(3)).toThrow(ProcessExit);
    expect(t.fn.sock_accept!(3, 0, 64)).toBe(E.NOTSUP);
    expect(tracer.records().map((r) => r.args)).toEqual([
      ['clock_time_get', E.SUCCESS],
      ['fd_close', E.BADF],
      ['clock_time_get', E.FAULT],
      ['proc_exit', 0],
      ['sock_accept', E.NOTSUP],
    ]);
  });
});

describe('path calls through a directory fd', () => {
  const setup = () =>
    new WasiFsHarness(['/'], (h) => {
      h.vfs.mkdir('/d');
      h.writeFile('/d/a', 'one');
      h.writeFile('/d/b', 'three');
      h.vfs.symlink('a', '/d/ln');
    });

  it('path_filestat_get writes the same filestat as fd_filestat_get', () => {
    const h = setup();
    const { fd } = h.open(3, 'd/b');
    expect(h.filestat(fd).errno).toBe(E.SUCCESS);
    const byFd = h.wasi.memory.bytes(128, 64).slice();
    expect(h.pathStat(3, 'd/b').errno).toBe(E.SUCCESS);
    expect(h.wasi.memory.bytes(128, 64)).toEqual(byFd);
  });

  it('answers each path for itself when paths alternate (the last-path cache)', () => {
    const h = setup();
    const ino = (p: string, follow = true) => h.pathStat(3, p, follow).ino;
    const a = ino('d/a');
    const b = ino('d/b');
    expect(a).not.toBe(b);
    expect([ino('d/a'), ino('d/b'), ino('d/a'), ino('d/ln'), ino('d/ln', false), ino('d/ln')]).toEqual([
      a,
      b,
      a,
      a,
      ino('d/ln', false),
      a,
    ]);
    expect(ino('d/ln', false)).not.toBe(a);
    // Same length as a cached path, different bytes: a NUL is still refused, a missing name ENOENT.
    expect(h.pathStat(3, 'd/\0').errno).toBe(E.INVAL);
    expect(h.pathStat(3, 'd/c').errno).toBe(E.NOENT);
    expect(h.pathStat(3, 'd/a').errno).toBe(E.SUCCESS);
  });

  it('keeps a directory fd confined after its lookup options were made', () => {
    const h = setup();
    const { fd } = h.open(3, 'd', { oflags: 2 });
    expect(h.pathStat(fd, 'a').errno).toBe(E.SUCCESS);
    expect(h.pathStat(fd, '../d/a').errno).toBe(E.PERM);
    expect(h.pathStat(fd, '/d/a').errno).toBe(E.PERM);
    expect(h.pathStat(fd, 'a').errno).toBe(E.SUCCESS);
  });
});

// Apps started while the guest runs (KernelControl.startApps, OSv's PUT /app/), and how the
// kernel waits for a module's program as OSv waits for its commands: in the foreground, `&`
// after the last command, `&!` never.
import { describe, expect, it } from 'vitest';
import type { Scheduler } from '@osv-ts/core-sched';
import {
  AppLaunchError,
  BUILTIN_PROGRAM_CAPABILITY,
  KERNEL_CONTROL_CAPABILITY,
  NS_PER_MS,
  type BuiltinProgram,
  type KernelControl,
  type KernelModule,
} from '@osv-ts/kernel-api';
import { writeBootfs, type BootfsEntry } from '@osv-ts/vfs/bootfs';
import { writeAndExit } from '../../test/wat.js';
import { Kernel } from '../boot/kernel.js';
import { parseAppCommands } from '../cmdline/app-commands.js';
import { HostConsole } from '../platform/host-console.js';
import { InprocessPlatform } from '../platform/inprocess-platform.js';

/**
 * A module whose program `/server` starts a kernel thread running `body` (given the kernel's
 * control and scheduler) and is running until that thread returns.
 */
function serverModule(body: (control: KernelControl, sched: Scheduler) => Generator<unknown, void, unknown>): {
  module: KernelModule;
  log: string[];
} {
  const log: string[] = [];
  const module: KernelModule = {
    name: 'test-server',
    init(ctx) {
      const control = ctx.get<KernelControl>(KERNEL_CONTROL_CAPABILITY);
      const sched = ctx.get<Scheduler>('scheduler');
      let serving = false;
      const program: BuiltinProgram = {
        paths: ['/server'],
        run: () => {
          serving = true;
          sched.spawn(function* () {
            yield* body(control, sched) as Generator<never, void, unknown>;
            serving = false;
          });
          log.push('server started');
          return 0;
        },
        running: () => serving,
      };
      ctx.provide(BUILTIN_PROGRAM_CAPABILITY, program);
    },
  };
  return { module, log };
}

function boot(
  commandLine: string,
  modules: KernelModule[],
  loaderOptions = '',
): { status: number; out: string; err: string } {
  let out = '';
  let err = '';
  const dec = new TextDecoder();
  const entries: BootfsEntry[] = ['a', 'b', 'c'].map((n) => ({
    name: `/${n}.wasm`,
    kind: 'file',
    data: writeAndExit(`${n} ran\n`),
  }));
  const platform = new InprocessPlatform({
    cmdline: `${loaderOptions} ${commandLine}`,
    commands: parseAppCommands(commandLine),
    files: new Map(entries.map((e) => [e.name, e])),
    bootfsImage: writeBootfs(entries),
    consoles: [new HostConsole((b) => (out += dec.decode(b))), new HostConsole((b) => (err += dec.decode(b)))],
  });
  const status = new Kernel(platform, modules).boot();
  return { status, out, err };
}

const sleepMs = (sched: Scheduler, ms: number) => sched.sleep(ms * NS_PER_MS);

describe('apps started while the guest runs', () => {
  it('run on the app thread while a foreground server holds the guest, which ends when the server does', () => {
    const seen: string[] = [];
    const { module, log } = serverModule(function* (control, sched) {
      const ids = control.startApps('/a.wasm & /b.wasm x');
      seen.push(`ids ${ids.length} ${ids[0]! < ids[1]!} running ${ids.map((t) => control.appRunning(t)).join(',')}`);
      while (ids.some((t) => control.appRunning(t))) yield* sleepMs(sched, 1);
      seen.push(`finished ${ids.map((t) => control.appRunning(t)).join(',')}`);
    });
    const r = boot('/server', [module]);
    expect(r).toEqual({ status: 0, out: 'a ran\nb ran\n', err: '' });
    expect(log).toEqual(['server started']);
    expect(seen).toEqual(['ids 2 true running true,true', 'finished false,false']);
  });

  it('wait for the app that holds the thread, and are waited for before power-off', () => {
    let ids: number[] = [];
    const { module } = serverModule(function* (control, sched) {
      ids = control.startApps('/c.wasm');
      yield* sleepMs(sched, 1);
    });
    // The server (joined, `&`) starts c and returns at once; c still runs before power-off.
    const r = boot('/server & /a.wasm', [module]);
    expect(r.out).toBe('a ran\nc ran\n');
    expect(ids).toHaveLength(1);
  });

  it('a `&` program is joined after the last command; an `&!` one is not', () => {
    let ticks = 0;
    const forTicks = (n: number) =>
      serverModule(function* (_control, sched) {
        for (; ticks < n; ticks++) yield* sleepMs(sched, 1);
      });
    const joined = forTicks(5);
    expect(boot('/server & /a.wasm', [joined.module]).out).toBe('a ran\n');
    expect(ticks).toBe(5);
    ticks = 0;
    const detached = forTicks(1_000_000);
    expect(boot('/server &! /a.wasm', [detached.module]).out).toBe('a ran\n');
    expect(ticks).toBeLessThan(1_000_000);
  });

  it('--noshutdown keeps the guest up after the last command until something powers it off', () => {
    let ticks = 0;
    const { module } = serverModule(function* (control, sched) {
      for (; ticks < 20; ticks++) yield* sleepMs(sched, 1);
      control.powerOff();
    });
    const r = boot('/server &! /a.wasm', [module], '--noshutdown');
    expect([r.status, r.out, ticks]).toEqual([0, 'a ran\n', 20]);
    expect(r.err).toContain('Powering off at the management API');
    // Nothing left that could ever wake the guest: it powers off rather than wait forever.
    expect(boot('/a.wasm', [], '--noshutdown')).toEqual({ status: 0, out: 'a ran\n', err: '' });
  });

  it("refuses a line that does not parse, has ';', names nothing or a program the guest lacks", () => {
    const errors: unknown[] = [];
    const { module } = serverModule(function* (control) {
      for (const line of ['/a.wasm "open', '/a.wasm; /b.wasm', '  ', '/nosuch.wasm', '/a.wasm & /nosuch.wasm'])
        try {
          control.startApps(line);
          errors.push(`accepted ${line}`);
        } catch (e) {
          errors.push(e instanceof AppLaunchError ? e.message : e);
        }
      yield undefined;
    });
    expect(boot('/server', [module]).out).toBe('');
    expect(errors).toEqual([
      expect.stringMatching(/^unterminated quoted string/),
      "';' is not allowed in a command",
      'the command names no program',
      'Failed to load object: /nosuch.wasm',
      'Failed to load object: /nosuch.wasm',
    ]);
  });
});

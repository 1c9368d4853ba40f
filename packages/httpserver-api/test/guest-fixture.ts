// An in-process guest for route and server tests: a virtual clock and CPU, core-sched, a ramfs
// root, a netstack with its loopback interface, and a KernelControl that records what it is told.
import { Scheduler, VirtualClock, VirtualCpu } from '@osv-ts/core-sched';
import { AppLaunchError, Errno, KernelError, PowerOffRequest, type KernelControl } from '@osv-ts/kernel-api';
import { NetStack, SeededRandom } from '@osv-ts/netstack';
import { RamFs, Vfs } from '@osv-ts/vfs';
import type { Guest } from '../src/guest.js';

export interface TestGuest extends Guest {
  /** Command lines PUT /app/ started, by thread id; an app is running until removed from it. */
  readonly apps: Map<number, string>;
  readonly clock: VirtualClock;
  readonly cpu: VirtualCpu;
  readonly vfs: Vfs;
  readonly stack: NetStack;
  readonly powerOffs: number[];
}

export function testGuest(): TestGuest {
  const clock = new VirtualClock();
  const cpu = new VirtualCpu(clock);
  const sched = new Scheduler(clock, cpu);
  const vfs = new Vfs({ clock });
  vfs.mountRoot(new RamFs());
  vfs.mkdir('/etc');
  vfs.writeFile('/etc/hosts', new TextEncoder().encode('127.0.0.1 localhost\n'));
  const stack = new NetStack({ clock, entropy: new SeededRandom(7) });
  const environment = new Map([['HOME', '/']]);
  let hostname = 'osv';
  const powerOffs: number[] = [];
  const apps = new Map<number, string>();
  const control: KernelControl = {
    version: '0.1.0',
    target: 'inprocess',
    commandLine: () => '/app.wasm',
    environment,
    bootLog: () => 'OSv-ts booted\n',
    hostname: () => hostname,
    setHostname: (n) => {
      hostname = n;
    },
    memory: () => ({ totalBytes: 64 << 20, freeBytes: 40 << 20 }),
    powerOff: () => {
      powerOffs.push(clock.monotonicNs());
      throw new PowerOffRequest(false);
    },
    startApps: (commandLine) => {
      if (commandLine.includes(';')) throw new AppLaunchError("';' is not allowed in a command");
      return commandLine.split('&').map((one) => {
        const tid = sched.reserveThreadId();
        apps.set(tid, one.trim());
        return tid;
      });
    },
    appRunning: (tid) => apps.has(tid),
  };
  const setCommandLine = (): void => {
    throw new KernelError(Errno.EROFS, 'read-only');
  };
  return { control, sched, clock, cpu, vfs, stack, powerOffs, apps, setCommandLine };
}

// An in-process guest for route and server tests: a virtual clock and CPU, core-sched, a ramfs
// root, a netstack with its loopback interface, and a KernelControl that records what it is told.
import { Scheduler, VirtualClock, VirtualCpu } from '@osv-ts/core-sched';
import { Errno, KernelError, PowerOffRequest, type KernelControl } from '@osv-ts/kernel-api';
import { NetStack, SeededRandom } from '@osv-ts/netstack';
import { RamFs, Vfs } from '@osv-ts/vfs';
import type { Guest } from '../src/guest.js';

export interface TestGuest extends Guest {
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
  };
  const setCommandLine = (): void => {
    throw new KernelError(Errno.EROFS, 'read-only');
  };
  return { control, sched, clock, cpu, vfs, stack, powerOffs, setCommandLine };
}

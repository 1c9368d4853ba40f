// The part of `osv run` and `osv run -i` after the machine is built: stdin into the guest
// console, Ctrl-C/SIGTERM stop it (status 130), host back-ends closed at the end, and -V's
// per-device counters.
import type { Machine, MachineExit } from '@osv-ts/vmm';
import type { VirtioConsoleDevice } from '@osv-ts/drivers-virtio';

export interface ForegroundOptions {
  /** The console that gets the host's stdin (undefined: stdin is not connected). */
  readonly stdinConsole: VirtioConsoleDevice | undefined;
  /** Closes host back-ends (network, disks) once the machine has stopped. */
  readonly cleanup: () => void;
}

export async function runInForeground(machine: Machine, o: ForegroundOptions): Promise<MachineExit> {
  const input = o.stdinConsole;
  if (input) {
    process.stdin.on('data', (chunk: Buffer) => input.pushInput(chunk));
    process.stdin.on('end', () => input.endInput());
    process.stdin.on('error', () => input.endInput());
  }
  const onSignal = (): void => void machine.stop(130, 'interrupted');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await machine.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdin.pause();
    o.cleanup();
  }
}

/** `osv run -V` at exit: the status and each device's counters. */
export function printDeviceCounters(machine: Machine, status: number): void {
  const counters = machine.deviceCounters().map((d) => `${d.name}: ${JSON.stringify(d.counters)}`);
  process.stderr.write(`osv: exit status ${status}\nosv: ${counters.join('\nosv: ')}\n`);
}

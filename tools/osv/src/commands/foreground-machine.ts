// The part of `osv run` and `osv run -i` after the machine is built: stdin into the guest
// console, Ctrl-C/SIGTERM stop it (status 130), host back-ends closed at the end, and -V's
// per-device counters.
import { writeFileSync } from 'node:fs';
import { readTraceRing, toChromeTrace } from '@osv-ts/core-sched';
import type { Machine, MachineExit } from '@osv-ts/vmm';
import { CliError, describeSystemError } from '../cli-error.js';
import type { VirtioConsoleDevice } from '@osv-ts/drivers-virtio';

export interface ForegroundOptions {
  /** The console that gets the host's stdin (undefined: stdin is not connected). */
  readonly stdinConsole: VirtioConsoleDevice | undefined;
  /** Closes host back-ends (network, disks) once the machine has stopped. */
  readonly cleanup: () => void;
  /** What feeds stdinConsole: a stream (default process.stdin), or all of the input at once. */
  readonly input?: NodeJS.ReadableStream | Uint8Array;
  /** Whether Ctrl-C and SIGTERM stop the machine (the CLI's; a library's caller decides). */
  readonly signals?: boolean;
}

export async function runInForeground(machine: Machine, o: ForegroundOptions): Promise<MachineExit> {
  const console = o.stdinConsole;
  const input = o.input ?? process.stdin;
  if (console && input instanceof Uint8Array) {
    console.pushInput(input);
    console.endInput();
  } else if (console && !(input instanceof Uint8Array)) {
    input.on('data', (chunk: Buffer) => console.pushInput(chunk));
    input.on('end', () => console.endInput());
    input.on('error', () => console.endInput());
  }
  const signals = o.signals ?? true;
  const onSignal = (): void => void machine.stop(130, 'interrupted');
  if (signals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    return await machine.run();
  } finally {
    if (signals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (console && !(input instanceof Uint8Array)) input.pause();
    o.cleanup();
  }
}

/**
 * A machine that did not power off normally (the vCPU crashed, a device failed): one line, the
 * stack under -V. Ctrl-C (status 130) needs no words.
 */
export function reportMachineError(exit: MachineExit, verbose: boolean): void {
  if (!exit.error || exit.status === 130) return;
  const [first, ...more] = exit.error.split('\n');
  if (verbose || more.length === 0) process.stderr.write(`osv: ${exit.error}\n`);
  else process.stderr.write(`osv: ${first} (run with -V for the stack)\n`);
}

/** `osv run -V` at exit: the status and each device's counters. */
export function printDeviceCounters(machine: Machine, status: number): void {
  const counters = machine.deviceCounters().map((d) => `${d.name}: ${JSON.stringify(d.counters)}`);
  process.stderr.write(`osv: exit status ${status}\nosv: ${counters.join('\nosv: ')}\n`);
}

/** --trace-out: the guest's trace ring as Chrome trace-event JSON. */
export function writeTrace(machine: Machine, path: string): void {
  const region = machine.traceRegion();
  if (!region) {
    process.stderr.write('osv: no trace recorded: the guest enabled no tracepoints\n');
    return;
  }
  const trace = readTraceRing(region);
  try {
    writeFileSync(path, JSON.stringify(toChromeTrace(trace.records)));
  } catch (e) {
    throw new CliError(`--trace-out ${path}: ${describeSystemError(e)}`);
  }
  process.stderr.write(
    `osv: wrote ${trace.records.length} trace records to ${path}${trace.lostBytes ? ` (${trace.lostBytes} bytes overwritten)` : ''}\n`,
  );
}

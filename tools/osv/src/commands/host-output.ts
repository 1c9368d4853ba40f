// The guest's stdout and stderr on the host, the way a Unix tool treats its own: the consoles
// write to fds 1 and 2 with write(2) (vmm's FdConsoleSink), a failed write is reported to the
// guest as errno (virtio-console's OSV_CONSOLE_F_TX_ERROR), and at exit a run whose output was
// lost does not end with status 0 (coreutils' close_stdout: "write error", status 1). A reader
// that went away (EPIPE) is not an error to report: the guest's app ends as SIGPIPE would end
// it (status 141), quietly, as `cat` does.
import { VirtioConsoleDevice, type ConsoleSink } from '@osv-ts/drivers-virtio';
import { FdConsoleSink } from '@osv-ts/vmm';

/** Where a guest console's output goes: a host descriptor, or a callback (run() of @osv-ts/osv). */
export type ConsoleOutput = number | ((bytes: Uint8Array) => void);

export interface HostConsoles {
  readonly stdout: VirtioConsoleDevice;
  readonly stderr: VirtioConsoleDevice;
  /** The status to exit with: `status`, or 1 when the app succeeded but its output was lost. */
  finish(status: number): number;
}

export function hostConsoles(stdout: ConsoleOutput = 1, stderr: ConsoleOutput = 2): HostConsoles {
  const out = sink(stdout);
  const err = sink(stderr);
  return {
    stdout: new VirtioConsoleDevice('console0', out),
    stderr: new VirtioConsoleDevice('console1', err),
    finish(status: number): number {
      let result = status;
      for (const [name, sink] of [
        ['stdout', out],
        ['stderr', err],
      ] as const) {
        if (!(sink instanceof FdConsoleSink) || sink.errno === undefined || sink.errorCode === 'EPIPE') continue;
        if (name === 'stdout') process.stderr.write(`osv: write error on stdout: ${sink.errorText}\n`);
        if (result === 0) result = 1;
      }
      return result;
    },
  };
}

function sink(output: ConsoleOutput): ConsoleSink {
  if (typeof output === 'number') return new FdConsoleSink(output);
  return { write: (bytes) => output(bytes.slice()) }; // the bytes live in guest RAM: copied
}

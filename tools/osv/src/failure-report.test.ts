import { describe, expect, it } from 'vitest';
import { CommandLineError } from '@osv-ts/kernel';
import { FormatError } from '@osv-ts/kernel-api';
import { DiskLockedError, MemorySizeError } from '@osv-ts/vmm';
import { CliError, UsageError } from './cli-error.js';
import { failureReport } from './failure-report.js';

describe('failureReport', () => {
  it('prints a CliError as one line with its status: 2 for usage, 1 for failure', () => {
    expect(failureReport(new UsageError("unknown option '--x'"), false)).toEqual({
      text: "osv: unknown option '--x'\n",
      status: 2,
    });
    expect(failureReport(new CliError('disk.img: ENOSPC: no space left on device'), true)).toEqual({
      text: 'osv: disk.img: ENOSPC: no space left on device\n',
      status: 1,
    });
  });

  it("maps the libraries' input errors: bad values are usage, bad bytes are failures", () => {
    expect(failureReport(new MemorySizeError("invalid memory size 'lots'"), false).status).toBe(2);
    expect(failureReport(new CommandLineError('unrecognized option: --x'), false).status).toBe(2);
    const format = failureReport(new FormatError('mbr', 'entry 1 status', 462, '0x33'), false);
    expect(format).toEqual({ text: 'osv: mbr: entry 1 status at offset 462: 0x33\n', status: 1 });
    const locked = new DiskLockedError(
      'd.img',
      'osv VM pid 7',
      'd.img is in use by osv VM pid 7, which has it open for writing',
    );
    expect(failureReport(locked, false)).toEqual({
      text: 'osv: d.img is in use by osv VM pid 7, which has it open for writing\n',
      status: 1,
    });
  });

  it('a system error on a path is a failure naming the path, without Node’s syscall tail', () => {
    const e = Object.assign(new Error("ENOSPC: no space left on device, write '/mnt/x.img'"), {
      code: 'ENOSPC',
      syscall: 'write',
      path: '/mnt/x.img',
    });
    expect(failureReport(e, false)).toEqual({ text: 'osv: /mnt/x.img: ENOSPC: no space left on device\n', status: 1 });
  });

  it('anything else is an internal error: status 70, one line, the stack only with -V', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')\nmore detail");
    const quiet = failureReport(bug, false);
    expect(quiet.status).toBe(70);
    expect(quiet.text).toBe(
      "osv: internal error: TypeError: Cannot read properties of undefined (reading 'x') (run with -V for the stack)\n",
    );
    const verbose = failureReport(bug, true);
    expect(verbose.status).toBe(70);
    expect(verbose.text.split('\n')[0]).toBe(
      "osv: internal error: TypeError: Cannot read properties of undefined (reading 'x')",
    );
    expect(verbose.text).toMatch(/\n\s+at .*failure-report\.test\.ts/);
  });
});

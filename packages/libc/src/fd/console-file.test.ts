// A console file over a console whose host output fails: the errno reaches the caller, except
// EPIPE, which ends the process as SIGPIPE's default action does.
import { describe, expect, it } from 'vitest';
import { Errno, KernelError, type Console } from '@osv-ts/kernel-api';
import { ProcessExit } from '../process.js';
import { ConsoleFile, SIGPIPE_EXIT_STATUS } from './console-file.js';

/** A console that takes `accepts` writes and then fails every write with `errno`. */
function failingConsole(accepts: number, errno: number): Console & { written: Uint8Array[] } {
  const written: Uint8Array[] = [];
  return {
    isTerminal: false,
    written,
    write(data) {
      if (written.length >= accepts) throw new KernelError(errno, 'the console output failed on the host');
      written.push(data.slice());
    },
    flush() {
      if (written.length >= accepts) throw new KernelError(errno);
    },
  };
}

const file = (c: Console): ConsoleFile => new ConsoleFile(c, false, true, () => undefined, 2n);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('ConsoleFile.write', () => {
  it('returns the errno of a failed host write (ENOSPC, EIO) to the caller', () => {
    for (const errno of [Errno.ENOSPC, Errno.EIO]) {
      const f = file(failingConsole(0, errno));
      expect(() => f.write([bytes('x')])).toThrow(KernelError);
      try {
        f.write([bytes('x')]);
      } catch (e) {
        expect((e as KernelError).errno).toBe(errno);
      }
    }
  });

  it('returns the bytes written before a later buffer failed (a partial write)', () => {
    const c = failingConsole(1, Errno.ENOSPC);
    expect(file(c).write([bytes('abc'), bytes('defg')])).toBe(3);
    expect(c.written).toHaveLength(1);
  });

  it("ends the process with SIGPIPE's status when the reader is gone", () => {
    let thrown: unknown;
    try {
      file(failingConsole(0, Errno.EPIPE)).write([bytes('x')]);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ProcessExit);
    expect((thrown as ProcessExit).status).toBe(SIGPIPE_EXIT_STATUS);
    expect(SIGPIPE_EXIT_STATUS).toBe(128 + 13);
  });
});

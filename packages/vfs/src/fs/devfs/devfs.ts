// devfs (OSv fs/devfs): the character devices a POSIX program expects under /dev, backed by
// injected kernel-api services. Device numbers are Linux's (devices.txt): null 1:3, zero 1:5,
// random 1:8, urandom 1:9, tty 5:0, console 5:1.
//  - null: reads EOF, swallows writes; zero: reads zeros; random/urandom: bytes from Entropy
//    (both non-blocking, as urandom and modern random are), writes accepted and ignored;
//  - console/tty: writes go to the Console, reads come from it (blocking through the VFS's
//    Blocker while there is no input, EAGAIN with O_NONBLOCK, 0 at end of input). Terminals
//    are not seekable (ESPIPE) and report isatty according to the Console.
import type { Console, Entropy } from '@osv-ts/kernel-api';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { IoContext } from '../../file-system.js';
import { POLLIN, POLLOUT } from '../../open-flags.js';
import { type SynthDevice, type SynthNode, SyntheticFs, staticDir } from '../synthetic/synthetic-fs.js';

export interface DevFsOptions {
  entropy: Entropy;
  console?: Console;
  /** Extra device nodes (block devices exposed by the kernel, for example). */
  extra?: Record<string, SynthNode>;
}

const makedev = (major: number, minor: number): number => (major << 8) | minor;

function nullDevice(rdev: number, read: (into: Uint8Array) => number): SynthDevice {
  return {
    kind: 'chr',
    perm: 0o666,
    rdev,
    seekable: true,
    read: (_o, into) => read(into),
    write: (_o, data) => data.length,
    poll: (events) => events & (POLLIN | POLLOUT),
  };
}

/**
 * Console input with one pushed-back chunk, so poll() can tell whether a read would block
 * (Console.read consumes what it returns). Shared by /dev/console and /dev/tty.
 */
class ConsoleInput {
  pending: Uint8Array = new Uint8Array(0);
  eof = false;
  private readonly scratch = new Uint8Array(4096);

  constructor(readonly console: Console) {}

  /** Fetches input into `pending` if there is some; true when a read would not block. */
  fill(): boolean {
    if (this.pending.length > 0 || this.eof) return true;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(this.console) below, after the presence check
    const read = this.console.read;
    if (!read) {
      this.eof = true;
      return true;
    }
    const n = read.call(this.console, this.scratch);
    if (n === 0) this.eof = true;
    else if (n > 0) this.pending = this.scratch.slice(0, n);
    return n >= 0;
  }
}

export class ConsoleDevice implements SynthDevice {
  readonly kind = 'chr';
  readonly perm = 0o620;
  readonly seekable = false;

  constructor(
    private readonly input: ConsoleInput,
    readonly rdev: number,
  ) {}

  get isTerminal(): boolean {
    return this.input.console.isTerminal;
  }

  read(_offset: number, into: Uint8Array, io: IoContext): number {
    const input = this.input;
    if (!input.fill()) {
      if (io.nonBlocking) throw new KernelError(Errno.EAGAIN);
      io.blocker.block(() => input.fill());
    }
    if (input.pending.length === 0) {
      // End of input is reported once per read, as a terminal's ^D is; later input is read again.
      input.eof = false;
      return 0;
    }
    const n = Math.min(into.length, input.pending.length);
    into.set(input.pending.subarray(0, n));
    input.pending = input.pending.subarray(n);
    return n;
  }

  write(_offset: number, data: Uint8Array): number {
    this.input.console.write(data);
    return data.length;
  }

  poll(events: number): number {
    let r = events & POLLOUT;
    if ((events & POLLIN) !== 0 && this.input.fill()) r |= POLLIN;
    return r;
  }
}

export class DevFs extends SyntheticFs {
  constructor(options: DevFsOptions) {
    const random = (into: Uint8Array): number => {
      options.entropy.fill(into);
      return into.length;
    };
    const entries: Record<string, SynthNode> = {
      null: nullDevice(makedev(1, 3), () => 0),
      zero: nullDevice(makedev(1, 5), (into) => {
        into.fill(0);
        return into.length;
      }),
      random: nullDevice(makedev(1, 8), random),
      urandom: nullDevice(makedev(1, 9), random),
    };
    if (options.console) {
      const input = new ConsoleInput(options.console);
      entries.console = new ConsoleDevice(input, makedev(5, 1));
      entries.tty = new ConsoleDevice(input, makedev(5, 0));
    }
    Object.assign(entries, options.extra ?? {});
    super('devfs', staticDir(entries, 0o755));
  }
}

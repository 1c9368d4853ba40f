// A console whose output goes straight to a host callback (the inprocess target): no virtio.
import type { Console } from '@osv-ts/kernel-api';

/** Console input: all of it at once, or a reader that fills `into` and returns 0 at end of file. */
export type ConsoleInput = Uint8Array | ((into: Uint8Array) => number);

export class HostConsole implements Console {
  private input: ConsoleInput | undefined;

  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    readonly isTerminal = false,
    input?: ConsoleInput,
  ) {
    this.input = input;
  }

  write(data: Uint8Array): void {
    this.sink(data.slice());
  }

  flush(): void {}

  read(into: Uint8Array): number {
    if (typeof this.input === 'function') return this.input(into);
    if (!this.input || this.input.length === 0) return 0;
    const n = Math.min(into.length, this.input.length);
    into.set(this.input.subarray(0, n));
    this.input = this.input.subarray(n);
    return n;
  }
}

// Shared test fixtures: a deterministic clock and a VFS with a ramfs root.
import type { Clock } from '@osv-ts/kernel-api';
import { KernelError } from '@osv-ts/kernel-api';
import { RamFs, Vfs } from '../src/index.js';

export class StepClock implements Clock {
  readonly resolutionNs = 1;
  private ns = 1_700_000_000_000_000_000n;
  monotonicNs(): number {
    return Number(this.ns % 1_000_000_000_000n);
  }
  realtimeNs(): bigint {
    this.ns += 1000n;
    return this.ns;
  }
}

export function ramVfs(): Vfs {
  const vfs = new Vfs({ clock: new StepClock() });
  vfs.mountRoot(new RamFs());
  return vfs;
}

/** The errno a call throws (fails the test when it does not throw a KernelError). */
export function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
  throw new Error('expected a KernelError, call succeeded');
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

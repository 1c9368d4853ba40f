// The app's memory counts against the RAM it is given: memory.grow stops at RAM less the
// kernel's share, a module that needs more at start is refused, and nothing is capped without
// a RAM size (the inprocess default).
import { describe, expect, it } from 'vitest';
import { PageAllocator } from '@osv-ts/core-sched';
import { wat } from '../../test/wat.js';
import { runWasm } from '../run-wasm.js';
import { AppMemoryAccount, kernelReserveBytes } from './app-memory.js';

const MIB = 1024 * 1024;
const PAGE = 65536;

/** Grows its memory one page at a time until memory.grow returns -1; exits with pages / 16 (MiB). */
const growUntilRefused = (memory: string): Uint8Array =>
  wat(`(module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    ${memory}
    (func (export "_start")
      (block $done (loop $more
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br_if $done (i32.ge_u (memory.size) (i32.const 4096)))
        (br $more)))
      (call $exit (i32.div_u (memory.size) (i32.const 16)))))`);

describe('app memory against guest RAM', () => {
  it('memory.grow returns -1 once the app has the RAM less the kernel share', () => {
    const app = growUntilRefused('(memory (export "memory") 1)');
    // 16 MiB of RAM, 1 MiB kept for the kernel: the app reaches 15 MiB and no further.
    expect(runWasm(app, { ramBytes: 16 * MIB })).toBe(15);
    expect(runWasm(app, { ramBytes: 8 * MIB })).toBe(7);
    // Without a RAM size nothing caps it below the loop's own 256 MiB bound.
    expect(runWasm(app)).toBe(256);
  });

  it('creates an imported memory with the capped maximum', () => {
    const app = growUntilRefused('(import "env" "memory" (memory 1))');
    expect(runWasm(app, { ramBytes: 16 * MIB })).toBe(15);
  });

  it('keeps a smaller declared maximum', () => {
    expect(runWasm(growUntilRefused('(memory (export "memory") 1 32)'), { ramBytes: 16 * MIB })).toBe(2);
  });

  it('refuses a module that needs more at start than the RAM leaves it, with one clear line', () => {
    let err = '';
    const status = runWasm(growUntilRefused('(memory (export "memory") 512)'), {
      ramBytes: 16 * MIB,
      stderr: (b) => (err += new TextDecoder().decode(b)),
    });
    expect(status).toBe(126);
    expect(err).toBe(
      '/app.wasm: cannot start: the module needs 32 MiB of memory at start, more than the 15 MiB it may have (guest RAM left after the kernel; give the VM more with -m)\n',
    );
  });
});

describe('AppMemoryAccount', () => {
  it('charges what the memory grew to, so free RAM falls with it, and gives it all back at close', () => {
    const pages = new PageAllocator(0, 32 * MIB);
    const account = new AppMemoryAccount(pages, 32 * MIB);
    expect(account.capPages * PAGE).toBe(32 * MIB - kernelReserveBytes(32 * MIB));
    account.admit({ minPages: 2, maxPages: account.capPages, shared: false, memory64: false });
    // The reservation holds the cap back from the kernel, but the pages are still free.
    expect(pages.freeBytes).toBe(32 * MIB);
    expect(pages.availableBytes).toBe(MIB);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: account.capPages });
    account.attach(memory);
    expect(pages.freeBytes).toBe(32 * MIB - 2 * PAGE);
    memory.grow(100);
    account.sync();
    expect(pages.freeBytes).toBe(32 * MIB - 102 * PAGE);
    expect(account.chargedBytes).toBe(102 * PAGE);
    account.close();
    expect(pages.freeBytes).toBe(32 * MIB);
    expect(pages.availableBytes).toBe(32 * MIB);
  });
});

// The memory cap against the engine: a capped module compiles, keeps its imports and exports,
// and memory.grow succeeds exactly up to min(declared maximum, cap) pages and returns -1 after.
import fc from 'fast-check';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { capModuleMemory, MemoryCapError } from './memory-cap.js';
import { parseWasmModule } from './wasm-module-info.js';

const wabt = await wabtInit();
const wat = (src: string, features: Record<string, boolean> = {}): Uint8Array<ArrayBuffer> => {
  const m = wabt.parseWat('t.wat', src, features);
  try {
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
};

/** A module with a defined memory and sections on both sides of the memory section. */
const defined = (limits: string): Uint8Array<ArrayBuffer> =>
  wat(`(module
    (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
    (table 1 funcref)
    (memory (export "memory") ${limits})
    (global (mut i32) (i32.const 7))
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
    (func (export "size") (result i32) memory.size)
    (data (i32.const 16) "hello"))`);

const imported = (limits: string): Uint8Array<ArrayBuffer> =>
  wat(`(module
    (import "env" "memory" (memory ${limits}))
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))`);

const noop = { wasi_snapshot_preview1: { proc_exit: () => undefined } };

/** Grows one page at a time until memory.grow fails; returns the final size in pages. */
function growToLimit(bytes: Uint8Array, imports: WebAssembly.Imports = noop): number {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports);
  const grow = inst.exports['grow'] as (n: number) => number;
  while (grow(1) !== -1);
  return grow(0);
}

describe('capModuleMemory', () => {
  it('rewrites a defined memory without a maximum; the engine then stops memory.grow at the cap', () => {
    const bytes = defined('2');
    const capped = capModuleMemory(bytes, parseWasmModule(bytes), 5);
    expect(capped.rewritten).toBe(true);
    expect(capped.memory).toEqual({
      kind: 'defined',
      limits: { minPages: 2, maxPages: 5, shared: false, memory64: false },
    });
    const m = new WebAssembly.Module(capped.bytes as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.exports(m)).toEqual(WebAssembly.Module.exports(new WebAssembly.Module(bytes)));
    expect(WebAssembly.Module.imports(m)).toEqual(WebAssembly.Module.imports(new WebAssembly.Module(bytes)));
    expect(growToLimit(capped.bytes)).toBe(5);
    // Data segments and everything after the memory section survive the rewrite.
    const inst = new WebAssembly.Instance(m, noop);
    const mem = inst.exports['memory'] as WebAssembly.Memory;
    expect(new TextDecoder().decode(new Uint8Array(mem.buffer, 16, 5))).toBe('hello');
  });

  it('returns the same bytes, uncopied, when the declared maximum already fits', () => {
    const bytes = defined('1 3');
    const capped = capModuleMemory(bytes, parseWasmModule(bytes), 10);
    expect(capped.bytes).toBe(bytes);
    expect(capped.rewritten).toBe(false);
    expect(growToLimit(capped.bytes)).toBe(3);
  });

  it('gives the limits to create an imported memory with, and leaves the module alone', () => {
    const bytes = imported('1');
    const capped = capModuleMemory(bytes, parseWasmModule(bytes), 4);
    expect(capped.bytes).toBe(bytes);
    expect(capped.memory).toEqual({
      kind: 'imported',
      module: 'env',
      name: 'memory',
      limits: { minPages: 1, maxPages: 4, shared: false, memory64: false },
    });
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    expect(growToLimit(bytes, { env: { memory } })).toBe(4);
  });

  it('keeps a shared memory shared', () => {
    const bytes = wat('(module (memory (export "memory") 1 100 shared))', { threads: true });
    const capped = capModuleMemory(bytes, parseWasmModule(bytes), 8);
    expect(capped.memory).toMatchObject({ limits: { minPages: 1, maxPages: 8, shared: true } });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(capped.bytes as Uint8Array<ArrayBuffer>));
    const mem = inst.exports['memory'] as WebAssembly.Memory;
    expect(mem.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(() => mem.grow(8)).toThrow(RangeError);
    mem.grow(7);
  });

  it('refuses a module whose minimum is above the cap, and multi-memory modules', () => {
    const bytes = defined('20');
    expect(() => capModuleMemory(bytes, parseWasmModule(bytes), 10)).toThrow(MemoryCapError);
    expect(() => capModuleMemory(bytes, parseWasmModule(bytes), 10)).toThrow(/1\.25 MiB of memory at start/);
    const info = parseWasmModule(bytes);
    const two = { ...info, memories: [...info.memories, ...info.memories] };
    expect(() => capModuleMemory(bytes, two, 100)).toThrow(/2 memories/);
  });

  it('a module without memory passes through', () => {
    const bytes = wat('(module (func (export "_start")))');
    expect(capModuleMemory(bytes, parseWasmModule(bytes), 0)).toEqual({
      bytes,
      memory: { kind: 'none' },
      rewritten: false,
    });
  });

  it('for any minimum, maximum and cap: refused iff min > min(max, cap), else grows to exactly that', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }), // the data segment needs a page
        fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
        fc.integer({ min: 0, max: 300 }),
        (min, maxRaw, cap) => {
          const max = maxRaw === undefined ? undefined : Math.max(min, maxRaw);
          const bytes = defined(max === undefined ? `${min}` : `${min} ${max}`);
          const limit = Math.min(max ?? 65536, cap);
          let capped;
          try {
            capped = capModuleMemory(bytes, parseWasmModule(bytes), cap);
          } catch (e) {
            expect(e).toBeInstanceOf(MemoryCapError);
            expect(min).toBeGreaterThan(limit);
            return;
          }
          expect(min).toBeLessThanOrEqual(limit);
          expect(parseWasmModule(capped.bytes).memories[0]!.maxPages).toBe(max === undefined || max > cap ? cap : max);
          expect(growToLimit(capped.bytes)).toBe(limit);
        },
      ),
      { numRuns: 150 },
    );
  });
});

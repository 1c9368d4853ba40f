import fc from 'fast-check';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { FormatError } from '@osv-ts/kernel-api';
import { parseWasmModule } from './wasm-module-info.js';
import { resolveImports, UnresolvedImportError } from './import-resolver.js';

const wabt = await wabtInit();
const wat = (src: string): Uint8Array<ArrayBuffer> => {
  const m = wabt.parseWat('t.wat', src);
  try {
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
};

const sample = wat(`(module
  (type $t (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "env" "mem" (memory 2 10))
  (import "env" "g" (global i32))
  (func $f (export "f") (type $t) local.get 0)
  (export "_start" (func $f))
  (export "memory" (memory 0)))`);

describe('parseWasmModule', () => {
  it('reads imports, exports, types and memory limits as WebAssembly.Module does', () => {
    const info = parseWasmModule(sample);
    const m = new WebAssembly.Module(sample);
    expect(info.imports.map((i) => ({ module: i.module, name: i.name, kind: i.kind }))).toEqual(
      WebAssembly.Module.imports(m),
    );
    expect(info.exports.map((e) => ({ name: e.name, kind: e.kind }))).toEqual(WebAssembly.Module.exports(m));
    expect(info.imports[1]!.memory).toEqual({ minPages: 2, maxPages: 10, shared: false, memory64: false });
    expect(info.types[info.imports[0]!.typeIndex!]).toEqual({ params: [0x7f, 0x7f, 0x7f, 0x7f], results: [0x7f] });
  });

  it('rejects non-wasm input with a FormatError naming the field', () => {
    expect(() => parseWasmModule(new Uint8Array([1, 2, 3]))).toThrow(/header at offset 0/);
    expect(() => parseWasmModule(new TextEncoder().encode('\x7fELF....'))).toThrow(/magic/);
    expect(() => parseWasmModule(new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]))).toThrow(/version/);
    expect(() => parseWasmModule(sample.subarray(0, sample.length - 3))).toThrow(FormatError);
  });

  it('never throws anything but FormatError on corrupted modules, and agrees with the engine when it accepts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(sample.length),
        (flips, cut) => {
          const bytes = sample.slice(0, Math.max(8, cut));
          for (const [at, v] of flips) if (at < bytes.length) bytes[at] = v;
          try {
            const info = parseWasmModule(bytes);
            if (WebAssembly.validate(bytes)) {
              expect(info.imports.map((i) => `${i.module}.${i.name}`)).toEqual(
                WebAssembly.Module.imports(new WebAssembly.Module(bytes)).map((i) => `${i.module}.${i.name}`),
              );
            }
          } catch (e) {
            expect(e).toBeInstanceOf(FormatError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('resolveImports', () => {
  it('binds every import to the symbol table', () => {
    const info = parseWasmModule(sample);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 10 });
    const g = new WebAssembly.Global({ value: 'i32' }, 1);
    const imports = resolveImports(info, { wasi_snapshot_preview1: { fd_write: () => 0 }, env: { mem: memory, g } });
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(sample), imports)).not.toThrow();
  });

  it('names every import the kernel lacks, and wrong-kind symbols', () => {
    const info = parseWasmModule(sample);
    const e = (() => {
      try {
        resolveImports(info, { env: { mem: () => 0 } });
      } catch (x) {
        return x as UnresolvedImportError;
      }
    })();
    expect(e).toBeInstanceOf(UnresolvedImportError);
    expect(e!.missing.map((i) => i.name)).toEqual(['fd_write', 'mem', 'g']);
    expect(e!.message).toBe(
      'unresolved imports: wasi_snapshot_preview1.fd_write (function), env.mem (memory), env.g (global)',
    );
  });
});

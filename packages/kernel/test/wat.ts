// Assembles WebAssembly text into a module for tests (wabt from npm).
import wabtInit from 'wabt';

const wabt = await wabtInit();

export function wat(source: string): Uint8Array {
  const mod = wabt.parseWat('test.wat', source);
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** A WASI command that writes `text` to `fd` and exits with `status`. */
export function writeAndExit(text: string, fd = 1, status = 0): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const data = [...bytes].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
  return wat(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 64) "${data}")
    (func (export "_start")
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (i32.const ${bytes.length}))
      (drop (call $w (i32.const ${fd}) (i32.const 0) (i32.const 1) (i32.const 8)))
      (call $exit (i32.const ${status}))))`);
}

;; Hello, written by hand in the WebAssembly text format: needs no C toolchain, only the wabt
;; npm package to assemble. Writes one line with fd_write and exits 0 via proc_exit.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "Hello from osv-ts (wat)!\n")
  (func (export "_start")
    ;; iovec at 0: { buf = 16, len = 25 }
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 25))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 0))))

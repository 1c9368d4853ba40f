;; Writes 64 KiB to stdout 1000 times (64 MB); the first fd_write that fails ends the app with
;; the WASI errno as its exit status. For showing how the guest's output behaves on the host
;; (tools/osv's README, "Output like a Unix tool's"; test/host-io.test.ts).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 2)
  (func (export "_start") (local $i i32) (local $errno i32)
    ;; iovec at 0: { buf = 1024, len = 65536 }
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $again
      (local.set $errno (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (if (local.get $errno) (then (call $exit (local.get $errno))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 1000))))))

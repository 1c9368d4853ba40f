// Runs a WASI binary against libc's preview1 binding and a ramfs root in this very process (no
// VM, no worker), so `node --cpu-prof` sees the system-call path: where a call's nanoseconds go.
// Usage: node bench/wasi/inprocess-bench.mjs app.wasm [args...]
import { readFileSync } from 'node:fs';
import { HostClock, Scheduler } from '@osv-ts/core-sched';
import { RamFs, Vfs } from '@osv-ts/vfs';
import { Process, ProcessExit, WasiPreview1, installPreopens, wasiFsExtension, fsErrorToWasi } from '@osv-ts/libc';

const [file, ...args] = process.argv.slice(2);
const clock = new HostClock();
const sched = new Scheduler(clock, { pollInterrupts: () => false, idle: () => false });
const vfs = new Vfs({ clock, blocker: sched });
vfs.mountRoot(new RamFs());
const proc = new Process({ args: [file, ...args], env: [], clock, entropy: { fill: () => {} }, sched });
const out = (bytes) => (process.stdout.write(Buffer.from(bytes)), bytes.length);
for (let i = 0; i < 3; i++)
  proc.fds.allocate({
    kind: 'character-device',
    statusFlags: 0,
    readable: i === 0,
    writable: i !== 0,
    read: () => 0,
    write: (bufs) => bufs.reduce((n, b) => n + out(b), 0),
    close: () => {},
    stat: () => ({
      dev: 0n,
      ino: 0n,
      kind: 'character-device',
      nlink: 1n,
      size: 0n,
      atimeNs: 0n,
      mtimeNs: 0n,
      ctimeNs: 0n,
    }),
  });
installPreopens(vfs, proc, ['/']);
const wasi = new WasiPreview1(proc);
wasi.extend(wasiFsExtension(vfs), fsErrorToWasi);
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), {
  wasi_snapshot_preview1: wasi.imports(),
});
wasi.memory.attach(instance.exports.memory);
try {
  instance.exports._start();
} catch (e) {
  if (!(e instanceof ProcessExit)) throw e;
  process.exitCode = e.status;
}

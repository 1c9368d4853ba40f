// The vCPU's host thread, started before its kernel is known. Node takes tens of milliseconds
// to start a Worker (a new isolate, Node's own bootstrap) before any kernel code runs — more on
// a loaded host. Starting it first thing, while the VMM still prepares the machine (reads the
// app, composes or finds the kernel, builds the bootfs), overlaps that cost instead of adding
// it; Firecracker likewise creates its vCPU threads before the guest is loaded.
import { Worker } from 'node:worker_threads';

/**
 * The worker's first code (CommonJS, run with `eval`): it waits for the machine's message, puts
 * guest RAM where the kernel entry reads it (workerData.ram, as a worker started for one kernel
 * gets it) and imports the kernel. It keeps no reference the kernel could reach.
 */
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
parentPort.once('message', (boot) => {
  workerData.ram = boot.ram;
  import(boot.kernelUrl);
});
`;

export class VcpuWorker {
  readonly worker: Worker;
  private used = false;

  private constructor() {
    this.worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: {},
      env: {},
      argv: [],
      stdout: false,
      stderr: false,
    });
    // An idle prestarted vCPU does not keep the host process alive (a command that fails before
    // it boots a machine exits as it would without one).
    this.worker.unref();
  }

  /** Starts a vCPU worker now, for a Machine made later (MachineConfig.vcpu). */
  static start(): VcpuWorker {
    return new VcpuWorker();
  }

  /** Boots the kernel at `kernelUrl` on this worker with this guest RAM; once per worker. */
  boot(ram: SharedArrayBuffer, kernelUrl: string): Worker {
    if (this.used) throw new Error('this vCPU worker has already booted a machine, or was closed');
    this.used = true;
    this.worker.ref();
    this.worker.postMessage({ ram, kernelUrl });
    return this.worker;
  }

  /** Ends a worker that will boot nothing. */
  close(): void {
    if (this.used) return;
    this.used = true;
    void this.worker.terminate();
  }
}

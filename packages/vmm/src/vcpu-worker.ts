// The vCPU's host thread, started before its kernel is known. Node takes tens of milliseconds
// to start a Worker (a new isolate, Node's own bootstrap) before any kernel code runs — more on
// a loaded host. Starting it first thing, while the VMM still prepares the machine (reads the
// app, composes or finds the kernel, builds the bootfs), overlaps that cost instead of adding
// it; Firecracker likewise creates its vCPU threads before the guest is loaded.
//
// A kernel whose modules need the hardened realm (ModuleDeclaration.realm: the js-app module)
// gets its realm locked down here, by the host, before the kernel's first line: SES's ~500 KiB
// of source and lockdown() cost ~17–30 ms of this thread's time, which a worker started early
// spends while the host's main thread still prepares the machine, not in the guest's boot.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { HARDENED_REALM_OPTIONS } from '@osv-ts/kernel-api';
import { hardenRealmSource } from './hardened-realm.js';
import { kernelScriptSource, type KernelBoot } from './kernel-script.js';

/**
 * The worker's first code (CommonJS, run with `eval`). It locks the realm down when asked to:
 * at once (`workerData.realm`), by a message (harden()), or with the boot message. On the boot
 * message it runs the kernel (kernel-script.ts). It keeps no reference the kernel could reach.
 */
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
${hardenRealmSource()}
if (workerData.realm) hardenRealm(workerData.realm);
${kernelScriptSource()}
const onMessage = (message) => {
  if (message.realm) hardenRealm(message.realm);
  if (message.boot === undefined) return;
  parentPort.off('message', onMessage);
  bootKernel(message.boot);
};
parentPort.on('message', onMessage);
`;

export interface VcpuWorkerOptions {
  /**
   * Lock the worker's realm down now, before a kernel is named: the CLI asks for it when the
   * command line names a JS app, so that the kernel's js-app module finds it done. A kernel that
   * needs it gets it at boot either way; one that does not runs in it unharmed.
   */
  readonly harden?: boolean;
}

/** What a worker needs to lock its realm down: where SES is and lockdown()'s options. */
export interface HardenedRealmData {
  readonly ses: string;
  readonly options: typeof HARDENED_REALM_OPTIONS;
}

export function hardenedRealmData(): HardenedRealmData {
  return { ses: createRequire(import.meta.url).resolve('ses'), options: HARDENED_REALM_OPTIONS };
}

export class VcpuWorker {
  readonly worker: Worker;
  private used = false;

  private constructor(options: VcpuWorkerOptions) {
    this.worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { realm: options.harden ? hardenedRealmData() : undefined },
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
  static start(options: VcpuWorkerOptions = {}): VcpuWorker {
    return new VcpuWorker(options);
  }

  /**
   * Has the worker lock its realm down now (unless it has), before boot() names a kernel that
   * needs it: the host calls it as soon as it knows (osv run -i, once the image's kernel is).
   */
  harden(): void {
    if (!this.used) this.worker.postMessage({ realm: hardenedRealmData() });
  }

  /**
   * Boots the kernel `boot` names on this worker (kernel-script.ts); once per worker.
   * `hardened`: the kernel needs the hardened realm (locked down first if it is not yet).
   */
  boot(boot: KernelBoot, hardened = false): Worker {
    if (this.used) throw new Error('this vCPU worker has already booted a machine, or was closed');
    this.used = true;
    this.worker.ref();
    this.worker.postMessage({ boot, realm: hardened ? hardenedRealmData() : undefined });
    return this.worker;
  }

  /** Ends a worker that will boot nothing. */
  close(): void {
    if (this.used) return;
    this.used = true;
    void this.worker.terminate();
  }
}

// A microVM: guest RAM (a SharedArrayBuffer), one vCPU (a Worker running the composed kernel),
// virtio-mmio device models serviced on this (the host) thread, and the signalling between
// them (docs/architecture.md §1): the guest rings `hostWake` for MMIO traps and queue notifications, we
// raise interrupts through `irqPending` + `guestWake`. The machine's life ends when the guest
// publishes PowerOff; its exit status becomes the result of run().
import { Worker } from 'node:worker_threads';
import { BOOT_ABI_VERSION, BOOT_MAGIC, BootInfo, PowerState, raiseGuestInterrupt } from '@osv-ts/kernel-api';
import { HaltPollWindow } from '@osv-ts/core-sched';
import { GuestMemory, MmioTransportModel, type DeviceModel, type InterruptLine } from '@osv-ts/drivers-virtio';
import {
  LayoutError,
  MAX_CMDLINE_BYTES,
  MAX_GUEST_RAM_BYTES,
  planGuestRam,
  type GuestRamLayout,
  type MmioSlot,
} from './guest-ram-layout.js';
import { DeviceThread } from './device-thread/device-thread.js';
import { hardenedRealmData, VcpuWorker } from './vcpu-worker.js';
import { hardenRealmSource } from './hardened-realm.js';
import { kernelScriptSource, type KernelBoot } from './kernel-script.js';
import { deviceThreadSpec } from './device-thread/device-spec.js';
import { serviceMmioTrap } from './mmio-trap.js';

/** A boot file system archive written into guest RAM by whoever laid it out (vfs's BootfsImage). */
export interface BootfsSource {
  readonly byteLength: number;
  writeInto(dest: Uint8Array): void;
}

export interface MachineConfig {
  readonly memBytes: number;
  /** OSv command line; the VMM appends the virtio_mmio.device tokens. */
  readonly cmdline: string;
  /**
   * Path of the composed kernel bundle, a classic script the worker runs with every Node API
   * (kernel-api's VcpuEntry; kernel-script.ts): it must be composed from trusted packages (the
   * osv tool's linker), never bytes taken from an image (docs/isolation.md).
   */
  readonly kernelPath: string;
  /**
   * Where V8's code cache of this kernel is kept (read at boot, written at power-off when it is
   * missing or stale): a path of this kernel's content alone, as V8 checks only the source's
   * length (kernel-script.ts). None: the kernel is compiled at every boot.
   */
  readonly codeCachePath?: string;
  /** Device models, in MMIO slot order. */
  readonly devices: readonly DeviceModel[];
  /**
   * OSv bootfs.bin image (may be empty): its bytes, or its size and a writer (@osv-ts/vfs's
   * bootfsImage), which writes it straight into guest RAM — a large app is then copied once.
   */
  readonly bootfs?: Uint8Array | BootfsSource;
  /** Boot info flags (tty-ness of stdio, stdin connected). */
  readonly bootFlags?: number;
  /**
   * A vCPU worker started earlier (VcpuWorker.start()), booted by run(); without one run()
   * starts its own. Not used under `inspect` (closed instead).
   */
  readonly vcpu?: VcpuWorker;
  /**
   * The kernel needs the hardened realm (one of its modules declares `realm: 'hardened'`): the
   * vCPU worker locks its realm down with SES before the kernel's first line (vcpu-worker.ts).
   */
  readonly hardenedRealm?: boolean;
  /** Start the vCPU worker under the inspector (`osv run -d`). */
  readonly inspect?: boolean;
  /** Inspector port for `inspect` (default 9229, as `node --inspect`). */
  readonly inspectPort?: number;
  /**
   * Run devices whose back-ends can move (image files, TAP, passt) on device threads of their
   * own (default true); false keeps every device on this thread.
   */
  readonly deviceThreads?: boolean;
  /**
   * The longest a device thread polls after its last work before it sleeps (its halt-polling
   * window adapts below this; default 200 µs, 0 never polls; or OSV_DEVICE_POLL_US).
   */
  readonly devicePollUs?: number;
}

/** OSV_DEVICE_THREADS=0 keeps every device on the VMM's thread (to compare, or to debug). */
function deviceThreadsByDefault(): boolean {
  return process.env['OSV_DEVICE_THREADS'] !== '0';
}

/**
 * The longest halt-polling window of a device thread: 200 µs, after small requests only
 * (device-thread/bulk-transfer-gate.ts). On 2026-12-05 a polling thread slowed the guest it
 * waited for (8192 random 4 KiB preads in a wasm app on ROFS, low load: ~245 ms with a fixed
 * 500 µs window, 130-145 ms with none); on 2026-12-08, with this machine's futex wake-ups far
 * dearer, the same preads took 700-1030 ms with none and 355-572 ms with 200 µs, a share's stat
 * of 10 000 new names doubled (5.3k -> 10.4k/s), and 1 MiB ROFS reads, after which the gate
 * keeps the thread from polling, stayed within their spread. OSV_DEVICE_POLL_US=0 turns it off.
 */
const DEFAULT_DEVICE_POLL_US = 200;

function devicePollUsFromEnv(): number {
  const v = Number(process.env['OSV_DEVICE_POLL_US']);
  return process.env['OSV_DEVICE_POLL_US'] && Number.isFinite(v) && v >= 0 ? v : DEFAULT_DEVICE_POLL_US;
}

/**
 * The longest the service loop polls for the guest's next doorbell before sleeping; the window
 * itself adapts below it (HaltPollWindow, KVM's halt-polling): it grows while the guest rings
 * again within it (bursts of I/O) and falls to 0 while the gaps are longer. At boot they are
 * (the driver code between two exits runs for the first time), and a fixed 0.5 ms poll there
 * took the core the vCPU needed: 2026-12-06, 2-core machine, load 0.3, hello with two consoles,
 * 12 runs each: "drivers loaded" 8.96 ms with the fixed poll, 5.57 ms with none.
 */
const MAX_POLL_BEFORE_WAIT_NS = 500_000;
const POLL_START_NS = 20_000;
/** The longest the service loop goes without letting the event loop turn (host I/O). */
const EVENT_LOOP_TURN_MS = 0.1;

/** Exit status when the vCPU died without powering off (the guest crashed). */
export const GUEST_CRASH_STATUS = 70;

export interface MachineExit {
  readonly status: number;
  /** Set when the machine did not power off normally. */
  readonly error?: string;
}

export class Machine {
  readonly memory: GuestMemory;
  readonly layout: GuestRamLayout;
  /** Every device's transport (register file), in MMIO slot order. */
  readonly transports: MmioTransportModel[] = [];
  /** Data planes on threads of their own, by slot (undefined: served on this thread). */
  readonly deviceThreads: (DeviceThread | undefined)[] = [];
  readonly startEpochMs: number;
  private worker: Worker | undefined;
  private finished = false;
  private resolveExit!: (exit: MachineExit) => void;
  /** traps: VM exits; trapAccesses: the register accesses they carried (posted writes included). */
  readonly counters = { hostWakes: 0, traps: 0, trapAccesses: 0, interruptsRaised: 0, polledWakes: 0 };
  /** A device waits to move to its thread until its requests in flight finish (service()). */
  private heldForMigration = false;
  /** How long the service loop polls before it sleeps. */
  private readonly poll = new HaltPollWindow({ startNs: POLL_START_NS, maxNs: MAX_POLL_BEFORE_WAIT_NS });

  constructor(readonly config: MachineConfig) {
    const bootfs = config.bootfs ?? new Uint8Array(0);
    this.layout = planGuestRam(config.memBytes, config.devices.length, bootfs.byteLength);
    this.startEpochMs = performance.timeOrigin + performance.now();
    this.memory = new GuestMemory(allocateGuestRam(config.memBytes));
    this.writeBootInfo(bootfs);
    const pollUs = config.devicePollUs ?? devicePollUsFromEnv();
    const threads = config.deviceThreads ?? deviceThreadsByDefault();
    this.layout.mmio.forEach((slot, i) => {
      const device = config.devices[i]!;
      const line: InterruptLine = { raise: () => this.raiseIrq(slot.irq) };
      const transport = new MmioTransportModel(this.memory, slot.baseAddress, slot.irq, device, line);
      const movable = deviceThreadSpec(device);
      if (movable?.kind === 'virtio-net' && !threads)
        throw new Error(`${device.name}: its TAP back-end was started threaded; it needs deviceThreads`);
      const spec = threads ? movable : undefined;
      const thread =
        spec &&
        new DeviceThread(this.memory, slot, spec, pollUs, (e) =>
          this.finish({
            status: GUEST_CRASH_STATUS,
            error: `device thread ${spec.name} crashed: ${e.stack ?? e.message}`,
          }),
        );
      if (thread) {
        transport.remote = thread;
        // A NIC is served only by its thread (its frames never reach this one): start it now,
        // so that it is up by the time the driver sets the device up.
        if (spec.kind === 'virtio-net') thread.prepare();
        // A disk served here while its thread starts moves over as soon as it can.
        // Not once the machine has finished: finish() has asked the thread to stop, and it may
        // be stopping while its 'ready' message is still on its way.
        thread.onReady = () => {
          if (!this.finished) transport.migrate();
        };
      }
      this.transports.push(transport);
      this.deviceThreads.push(thread);
    });
  }

  /**
   * Per-device counters (transport: traps, notifications, interrupts; plus the model's own, and
   * the device thread's once it has stopped, after run() has resolved), for `osv run -V`.
   */
  deviceCounters(): { name: string; counters: Record<string, number> }[] {
    return this.transports.map((t, i) => ({
      name: t.device.name,
      counters: sumCounters({ ...t.counters, ...(t.device.counters ?? {}) }, this.deviceThreads[i]?.counters ?? {}),
    }));
  }

  /** The full command line the guest sees. */
  get cmdline(): string {
    return [...mmioDeviceTokens(this.layout.mmio), this.config.cmdline].join(' ');
  }

  /** Boots the vCPU and resolves with the exit when the guest powers off or dies. */
  run(): Promise<MachineExit> {
    const done = new Promise<MachineExit>((resolve) => (this.resolveExit = resolve));
    // Under -d the vCPU starts from a host-side bootstrap that opens the worker's own inspector
    // (Node ignores --inspect-brk in a Worker's execArgv), waits for a debugger, and stops at a
    // `debugger` statement just before the kernel's first line, as --inspect-brk would.
    // Bootchart "vCPU created", on the clock of machineStartEpochMs: what comes after it until
    // "vCPU started" is the Worker's own start-up and the kernel bundle's compilation.
    this.memory.view.setFloat64(BootInfo.vcpuStartEpochMs, performance.timeOrigin + performance.now(), true);
    const hardened = this.config.hardenedRealm === true;
    const ram = this.memory.buffer as SharedArrayBuffer; /* allocateGuestRam */
    const boot: KernelBoot = { kernelPath: this.config.kernelPath, ram, codeCachePath: this.config.codeCachePath };
    // Under -d no code cache: the debugger compiles what it steps through anyway.
    const worker = this.config.inspect
      ? new Worker(DEBUG_BOOTSTRAP, {
          eval: true,
          workerData: {
            boot: { ...boot, codeCachePath: undefined },
            inspectPort: this.config.inspectPort ?? 9229,
            realm: hardened ? hardenedRealmData() : undefined,
          },
          env: {},
          argv: [],
          stdout: false,
          stderr: false,
        })
      : (this.config.vcpu ?? VcpuWorker.start()).boot(boot, hardened);
    if (this.config.inspect) this.config.vcpu?.close();
    this.worker = worker;
    worker.on('error', (e) =>
      this.finish({ status: GUEST_CRASH_STATUS, error: `vCPU crashed: ${e.stack ?? e.message}` }),
    );
    worker.on('exit', (code) =>
      this.finish({ status: GUEST_CRASH_STATUS, error: `vCPU exited without powering off (code ${code})` }),
    );
    void this.serviceLoop();
    return done;
  }

  /**
   * The guest's trace ring (OSv --trace=…), copied out of guest RAM; undefined when the guest
   * did not turn tracing on. Safe to call while the guest runs (the ring is read lock-free).
   */
  traceRegion(): Uint8Array | undefined {
    const v = this.memory.view;
    const address = v.getUint32(BootInfo.traceBufferAddress, true);
    const length = v.getUint32(BootInfo.traceBufferLength, true);
    if (length === 0 || !this.memory.contains(address, length)) return undefined;
    return this.memory.bytes.slice(address, address + length);
  }

  /** Stops the machine at once (Ctrl-C, timeouts). */
  async stop(status = 130, reason = 'stopped'): Promise<void> {
    this.finish({ status, error: reason });
    await this.worker?.terminate();
  }

  private async serviceLoop(): Promise<void> {
    const words = this.memory.words;
    const wakeIndex = BootInfo.hostWake >>> 2;
    let turnAt = performance.now();
    while (!this.finished) {
      if (performance.now() - turnAt > EVENT_LOOP_TURN_MS) {
        // A guest that keeps kicking would keep this loop from ever sleeping, and host I/O (a
        // back-end's socket: passt's ACKs, a TAP's frames) reaches its device only through the
        // event loop: let it turn at least this often.
        await new Promise<void>((resolve) => setImmediate(resolve));
        turnAt = performance.now();
      }
      const seq = Atomics.load(words, wakeIndex);
      this.counters.hostWakes++;
      this.heldForMigration = false;
      this.service();
      if (this.finished) break;
      if (this.heldForMigration) {
        // Let the host I/O in flight complete (the event loop's poll phase), then try again.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      // Poll briefly before sleeping: in a burst of I/O a guest that just notified does so again
      // within microseconds, and waking through Atomics.waitAsync costs a trip through the event
      // loop (docs/architecture.md §6: a short spin before waiting is where virtio performance is
      // won). How briefly is the poll window's to say (MAX_POLL_BEFORE_WAIT_NS).
      // While a device waits for host I/O (an async disk read), its completion arrives through
      // the event loop: spinning would only delay it.
      const ioPending = this.hostIoPending();
      const windowMs = this.poll.windowNs / 1e6;
      if (!ioPending && windowMs > 0) {
        // The spin also lets the event loop turn every EVENT_LOOP_TURN_MS: a back-end's socket
        // (a TAP's ACKs for a guest that is waiting on them) is read only there.
        const spinUntil = performance.now() + windowMs;
        let changed = false;
        for (;;) {
          const sliceMs = Math.min(spinUntil, turnAt + EVENT_LOOP_TURN_MS) - performance.now();
          if (this.spinUntilChanged(words, wakeIndex, seq, sliceMs)) {
            changed = true;
            break;
          }
          if (performance.now() >= spinUntil) break;
          await new Promise<void>((resolve) => setImmediate(resolve));
          turnAt = performance.now();
          if (this.finished) break;
        }
        if (this.finished) break;
        if (changed) {
          this.poll.pollSucceeded();
          this.counters.polledWakes++;
          continue;
        }
      }
      const sleptAt = performance.now();
      const wait = Atomics.waitAsync(words, wakeIndex, seq);
      if (wait.async) await wait.value;
      turnAt = performance.now();
      // A wake-up from host I/O says nothing about the guest's next doorbell.
      if (!ioPending) this.poll.slept((performance.now() - sleptAt) * 1e6);
    }
  }

  private hostIoPending(): boolean {
    for (const t of this.transports) {
      const d = t.device as { requestsInFlight?: number };
      if (d.requestsInFlight) return true;
    }
    return false;
  }

  private spinUntilChanged(words: Int32Array, index: number, seq: number, windowMs: number): boolean {
    const until = performance.now() + windowMs;
    do {
      if (Atomics.load(words, index) !== seq) return true;
    } while (performance.now() < until);
    return false;
  }

  /** Handles everything the guest may have posted: a trap, queue notifications, power-off. */
  private service(): void {
    const w = this.memory.words;
    const accesses = serviceMmioTrap(this.memory, this.transports);
    if (accesses !== undefined) {
      this.counters.traps++;
      this.counters.trapAccesses += accesses;
    }
    for (const t of this.transports) {
      // Before taking the kicks: once migrated, they stay in the word for the device thread.
      if (t.awaitingMigration) t.migrate();
      const bits = t.takePostedNotifications();
      if (bits !== 0) t.notify(bits);
      // Its kicks are held (MmioTransportModel.notify) until its requests in flight finish.
      if (t.migrationWaitsForIdle) this.heldForMigration = true;
    }
    if (Atomics.load(w, BootInfo.powerState >>> 2) === PowerState.PowerOff) {
      const status = this.memory.view.getInt32(BootInfo.exitStatus, true);
      this.finish({ status: status & 0xff });
      void this.worker?.terminate();
    }
  }

  private raiseIrq(irq: number): void {
    this.counters.interruptsRaised++;
    raiseGuestInterrupt(this.memory.words, irq);
  }

  /** Ends the machine once: device threads are stopped (and report) before run() resolves. */
  private finish(exit: MachineExit): void {
    if (this.finished) return;
    this.finished = true;
    const stopping = this.deviceThreads.flatMap((t) => (t ? [t.stop()] : []));
    void Promise.all(stopping).then(() => this.resolveExit(exit));
  }

  private writeBootInfo(bootfs: Uint8Array | BootfsSource): void {
    const v = this.memory.view;
    const L = this.layout;
    const cmd = new TextEncoder().encode(this.cmdline);
    if (cmd.length >= MAX_CMDLINE_BYTES) throw new CommandLineTooLongError(cmd.length);
    v.setUint32(BootInfo.magic, BOOT_MAGIC, true);
    v.setUint32(BootInfo.abiVersion, BOOT_ABI_VERSION, true);
    v.setUint32(BootInfo.vcpus, 1, true);
    v.setUint32(BootInfo.flags, this.config.bootFlags ?? 0, true);
    v.setFloat64(BootInfo.machineStartEpochMs, this.startEpochMs, true);
    v.setFloat64(BootInfo.ramSizeBytes, L.ramBytes, true);
    this.memory.bytes.set(cmd, L.cmdlineAddress);
    this.memory.bytes[L.cmdlineAddress + cmd.length] = 0;
    v.setUint32(BootInfo.cmdlineAddress, L.cmdlineAddress, true);
    v.setUint32(BootInfo.cmdlineLength, cmd.length, true);
    const into = this.memory.bytes.subarray(L.bootfsAddress, L.bootfsAddress + bootfs.byteLength);
    if (bootfs instanceof Uint8Array) into.set(bootfs);
    else bootfs.writeInto(into);
    v.setUint32(BootInfo.bootfsAddress, L.bootfsAddress, true);
    v.setUint32(BootInfo.bootfsLength, bootfs.byteLength, true);
    v.setUint32(BootInfo.freeRamStart, L.freeRamStart, true);
  }
}

/** Counters of the same device from its two threads: added up (maxima: the larger). */
function sumCounters(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k.startsWith('max') ? Math.max(out[k] ?? 0, v) : (out[k] ?? 0) + v;
  return out;
}

/** The virtio_mmio.device tokens (Firecracker's syntax) that tell the guest where its devices are. */
function mmioDeviceTokens(slots: readonly MmioSlot[]): string[] {
  return slots.map((s) => `virtio_mmio.device=${s.sizeBytes / 1024}K@0x${s.baseAddress.toString(16)}:${s.irq}`);
}

/**
 * The longest command line a machine with `deviceCount` devices takes: OSv's 1023 bytes less
 * the device tokens (and their spaces) the VMM puts in front of it.
 */
export function maxCommandLineBytes(deviceCount: number): number {
  const tokens = mmioDeviceTokens(planGuestRam(MAX_GUEST_RAM_BYTES, deviceCount, 0).mmio);
  return MAX_CMDLINE_BYTES - 1 - tokens.reduce((n, t) => n + t.length + 1, 0);
}

/** The command line, with the virtio_mmio.device tokens the VMM adds, does not fit OSv's buffer. */
export class CommandLineTooLongError extends Error {
  override readonly name = 'CommandLineTooLongError';
  constructor(readonly bytes: number) {
    super(
      `command line too long: ${bytes} bytes with the VMM's device tokens (OSv's limit is ${MAX_CMDLINE_BYTES - 1})`,
    );
  }
}

/** Guest RAM; a size the host cannot allocate is a LayoutError, not V8's RangeError. */
function allocateGuestRam(bytes: number): SharedArrayBuffer {
  try {
    return new SharedArrayBuffer(bytes);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new LayoutError(
      `cannot allocate ${Math.round(bytes / 1024 / 1024)} MiB of guest RAM on this host (use a smaller -m)`,
    );
  }
}

/** The vCPU's entry under `osv run -d` (CommonJS, run with `eval`). */
const DEBUG_BOOTSTRAP = `
const inspector = require('node:inspector');
const { workerData } = require('node:worker_threads');
${hardenRealmSource()}
${kernelScriptSource()}
if (workerData.realm) hardenRealm(workerData.realm);
inspector.open(workerData.inspectPort, '127.0.0.1', true);
debugger; // paused here: step into bootKernel to enter the kernel
bootKernel(workerData.boot);
`;

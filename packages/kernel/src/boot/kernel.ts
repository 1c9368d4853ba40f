// The boot sequence (OSv loader.cc main_cont + do_main_thread, reduced to what osv-ts has):
// parse the command line, initialise the linked modules (drivers first), set up the consoles,
// print the boot time, then run the application commands and return the last exit status.
import { BufferedEntropy } from '../platform/buffered-entropy.js';
import {
  AppLaunchError,
  BUILTIN_PROGRAM_CAPABILITY,
  DEVICE_FAULT_CAPABILITY,
  Errno,
  KernelError,
  NS_PER_S,
  KERNEL_CONTROL_CAPABILITY,
  PowerOffRequest,
  type BuiltinProgram,
  type Console,
  type KernelControl,
  type DeviceFault,
  type Entropy,
  type KernelModule,
} from '@osv-ts/kernel-api';
import { DeadlockError, Scheduler, TraceRing, Tracer, type Tracepoint } from '@osv-ts/core-sched';
import {
  ConsoleFile,
  FdTable,
  Process,
  VfsFile,
  WASI_EXTENSION_CAPABILITIES,
  type OpenFile,
  type Preview1Extension,
  type WasiExtensionFactory,
} from '@osv-ts/libc';
import {
  O_APPEND,
  O_CREAT,
  O_DIRECTORY,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  VType,
  type File,
  type Vfs,
  type VfsService,
} from '@osv-ts/vfs';
import { expandRunscripts, initCommands, type CommandFiles } from './command-sources.js';
import { MountError, mountFileSystems } from './mount-filesystems.js';
import type { NetstackService } from '@osv-ts/netstack';
import { startNetwork, type NetworkRuntime } from './network.js';
import { parseAppCommands, type AppCommand } from '../cmdline/app-commands.js';
import { splitLoaderCommandLine } from '../cmdline/loader-cmdline.js';
import { LOADER_USAGE, parseLoaderOptions, type LoaderOptions } from '../cmdline/loader-options.js';
import { CommandLineError } from '../cmdline/mmio-device-tokens.js';
import { ExitStatus, runWasmApp, type AppResult } from '../app/wasm-app.js';
import { AppMemoryAccount } from '../app/app-memory.js';
import { BackgroundApps } from '../app/background-apps.js';
import { isJsApp } from '../app/js-app-format.js';
import { JS_APP_CAPABILITY, type JsAppRunner } from '../app/js-app-runner.js';
import { ModuleRegistry } from './module-registry.js';
import type { Platform } from './platform.js';
import type { ProcInfo } from '@osv-ts/vfs';
import { EmptyInputFile } from './empty-input-file.js';

export const OSV_TS_VERSION = '0.1.0';

/** How long power-off waits for TCP send queues to drain. */
const LINGER_NS = 5_000_000_000;

const encoder = new TextEncoder();

/** How much of the kernel's log /os/dmesg keeps (the newest text). */
const BOOT_LOG_BYTES = 64 * 1024;

export class Kernel {
  readonly registry = new ModuleRegistry();
  readonly sched: Scheduler;
  private stdout!: Console;
  private stderr!: Console;
  private stdin: Console | undefined;
  options: LoaderOptions | undefined;
  private vfs: VfsService | undefined;
  private network: NetworkRuntime | undefined;
  private process: Process | undefined;
  /** The running wasm app's memory, charged to guest RAM (vm targets). */
  private appMemory: AppMemoryAccount | undefined;

  readonly tracer: Tracer;
  /** The kernel's environment: --env= at boot, then what the management API sets. */
  private readonly env = new Map<string, string>();
  private bootLogText = '';
  private hostName = 'osv';
  private readonly tpBootStage: Tracepoint<readonly ['str']>;
  /** Apps the management API started (PUT /app/), waiting for the app thread. */
  private readonly backgroundApps: BackgroundApps;
  /** Whether an app has started (the first one prints the boot time). */
  private appStarted = false;

  constructor(
    readonly platform: Platform,
    private readonly modules: readonly KernelModule[],
  ) {
    this.tracer = new Tracer(platform.clock);
    this.sched = new Scheduler(platform.clock, platform.cpu, { tracer: this.tracer });
    this.tpBootStage = this.tracer.tracepoint('boot_stage', '%s', ['str']);
    this.backgroundApps = new BackgroundApps(() => this.sched.reserveThreadId());
  }

  /** Boots and runs the command line; returns the exit status for power-off. */
  boot(): number {
    const p = this.platform;
    let commandLineError: string | undefined;
    let appCommandLine = '';
    try {
      const split = splitLoaderCommandLine(p.cmdline);
      appCommandLine = split.appCommandLine;
      this.options = parseLoaderOptions(split.options);
    } catch (e) {
      if (!(e instanceof CommandLineError)) throw e;
      commandLineError = e.message;
    }
    if (this.options && this.options.trace.length > 0) this.startTracing(this.options.trace);
    this.stamp('command line parsed');

    this.registry.provide('scheduler', this.sched);
    this.registry.provide<KernelControl>(KERNEL_CONTROL_CAPABILITY, this.control());
    p.registerServices(this.registry);
    this.stamp('drivers probe');
    this.registry.initAll(this.modules);
    this.stamp('drivers loaded');
    const consoles = this.registry.getAll<Console>('console');
    const fallback = consoles.length > 0 ? [] : p.fallbackConsoles();
    const all = consoles.length > 0 ? consoles : fallback;
    if (all.length === 0) throw new Error('no console: link a console module');
    this.stdout = all[0]!;
    this.stderr = all[1] ?? this.stdout;
    this.stdin = p.stdinConnected ? all[0] : undefined;

    if (commandLineError !== undefined || !this.options) {
      this.log(`${commandLineError}\n\n${LOADER_USAGE}`);
      return 1;
    }
    const o = this.options;
    for (const w of o.warnings) this.log(`${w}\n`);
    // OSv loader.cc: --delay waits after SMP launch, before the file systems.
    if (o.delaySeconds > 0) this.sched.block(() => false, p.clock.monotonicNs() + o.delaySeconds * NS_PER_S);
    this.vfs = this.registry.tryGet<VfsService>('vfs');
    const unhonoured = this.vfs ? undefined : p.preopens?.size ? 'preopens' : optionNeedingVfs(o);
    if (unhonoured !== undefined) {
      this.log(`${unhonoured}: this kernel has no vfs module to honour it. Powering off.\n`);
      return 1;
    }
    if (this.vfs) {
      try {
        this.stamp(
          mountFileSystems({
            service: this.vfs,
            options: o,
            bootfsImage: p.bootfsImage,
            entropy: this.appEntropy(),
            console: this.stdout,
            proc: this.procInfo(),
            log: (t) => this.log(t),
          }),
        );
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        const what = e instanceof MountError ? e.description : `failed to mount the root file system: ${e.message}`;
        this.log(`${what}${this.deviceFaults()}. Powering off.\n`);
        return 1;
      }
      for (const [path, fs] of p.preopens ?? []) {
        try {
          mkdirs(this.vfs.vfs, path);
          this.vfs.vfs.mount(path, fs, { source: 'preopen' });
        } catch (e) {
          if (!(e instanceof KernelError)) throw e;
          this.log(`preopen ${path}: ${e.message}. Powering off.\n`);
          return 1;
        }
      }
      if (o.cwd !== undefined) {
        try {
          if (this.vfs.vfs.stat(o.cwd).type !== VType.VDIR) throw new KernelError(Errno.ENOTDIR, 'not a directory');
        } catch (e) {
          if (!(e instanceof KernelError)) throw e;
          this.log(`--cwd=${o.cwd}: ${e.message}. Powering off.\n`);
          return 1;
        }
      }
    }
    if (o.help) this.log(LOADER_USAGE);
    if (o.traceList) for (const tp of this.tracer.tracepoints) this.log(`${tp.name} ${tp.format}\n`);
    if (o.verbose)
      this.log(`OSv-ts v${OSV_TS_VERSION} (${p.target}), modules: ${this.registry.initialised.join(', ') || 'none'}\n`);

    const netstack = this.registry.tryGet<NetstackService>('netstack');
    if (!netstack && o.tcplisten.length > 0) {
      this.log(`--tcplisten=${o.tcplisten[0]}: this kernel has no netstack module to honour it. Powering off.\n`);
      return 1;
    }
    if (netstack) {
      this.network = startNetwork(netstack, this.sched, o, (t) => this.log(t));
      this.stamp('Network initialized');
      if (o.verbose) for (const line of this.network.describe()) this.log(`${line}\n`);
    }

    const env = this.env;
    for (const kv of o.env) {
      const eq = kv.indexOf('=');
      if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    for (const [k, v] of p.env ?? []) env.set(k, v);
    let commands: readonly AppCommand[];
    try {
      commands = p.commands ?? parseAppCommands(appCommandLine, env);
    } catch (e) {
      if (!(e instanceof CommandLineError)) throw e;
      this.log(`${e.message}. Powering off.\n`);
      return 1;
    }
    if (commands.length === 0) {
      this.log('This image has an empty command line. Nothing to run.\n');
      return 0;
    }
    if (o.verbose) this.log(`Cmdline: ${appCommandLine.trim()}\n`);
    if (this.vfs) {
      const files = this.commandFiles(this.vfs.vfs);
      try {
        commands = expandRunscripts(commands, files, env);
        if (!o.noinit) commands = [...expandRunscripts(initCommands(files, env), files, env), ...commands];
      } catch (e) {
        if (!(e instanceof CommandLineError)) throw e;
        this.log(`${e.message}. Powering off.\n`);
        return 1;
      }
      if (o.redirect) {
        try {
          this.redirectOutput(this.vfs.vfs, o.redirect);
        } catch (e) {
          this.log(`--redirect=${o.redirect.path}: ${(e as Error).message}. Powering off.\n`);
          return 1;
        }
      }
    }
    let status = 0;
    try {
      /** `&` programs, joined after the last command (OSv's do_main_thread). */
      const joined: BuiltinProgram[] = [];
      for (const cmd of commands) {
        const path = cmd.path ?? cmd.argv[0]!;
        const builtin = this.builtinProgram(path);
        if (builtin) {
          // A module's program (OSv's `/libhttpserver-api.so`): it starts its kernel threads
          // and returns; the kernel then waits for them as OSv waits for the app: in the
          // foreground before the next command, `&` after the last, `&!` not at all.
          // The boot ends where the first command starts, whichever kind it is.
          if (!this.appStarted) {
            this.appStarted = true;
            this.finishBoot();
          }
          status = builtin.run(cmd.argv, (text) => this.log(text));
          if (cmd.terminator === '&') joined.push(builtin);
          else if (cmd.terminator !== '&!') this.runBackgroundAppsWhile(() => builtin.running?.() === true);
          continue;
        }
        if (cmd.terminator === '&' || cmd.terminator === '&!') {
          this.log(`osv: running '${cmd.argv[0]}' in the foreground: background apps need more than one app thread\n`);
        }
        status = this.runApp(cmd.argv, env, path);
      }
      // OSv's --noshutdown: the guest stays up after the last command (its kernel threads, the
      // management API among them, go on serving) until something powers it off.
      const noShutdown = o.noshutdown;
      this.runBackgroundAppsWhile(() => noShutdown || joined.some((b) => b.running?.() === true));
      this.drainNetwork();
    } catch (e) {
      // A kernel thread (the management API's /os/poweroff) asked to stop: the app's frames
      // are unwound; what it wrote still reaches the disk below.
      if (!(e instanceof PowerOffRequest)) throw e;
      this.process?.fds.closeAll();
      this.process = undefined;
      this.log(`${e.reboot ? 'Rebooting' : 'Powering off'} at the management API's request.\n`);
      status = 0;
    }
    this.syncFileSystems();
    // Output the host could not deliver is the host's to report (it knows where it went).
    for (const c of this.stderr === this.stdout ? [this.stdout] : [this.stdout, this.stderr]) {
      try {
        c.flush();
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
      }
    }
    return status;
  }

  /** What the kernel tells its modules about itself (kernel-api's KernelControl). */
  private control(): KernelControl {
    const p = this.platform;
    return {
      version: OSV_TS_VERSION,
      target: p.target,
      commandLine: () => p.cmdline,
      environment: this.env,
      bootLog: () => this.bootLogText,
      hostname: () => this.hostName,
      setHostname: (name) => {
        this.hostName = name;
      },
      memory: () => {
        this.appMemory?.sync();
        return p.memoryFigures();
      },
      powerOff: () => {
        throw new PowerOffRequest(false);
      },
      startApps: (commandLine) => this.startApps(commandLine),
      appRunning: (tid) => this.backgroundApps.running(tid),
    };
  }

  /** KernelControl.startApps: OSv's PUT /app/ (background-apps.ts). */
  private startApps(commandLine: string): number[] {
    let commands: AppCommand[];
    try {
      commands = parseAppCommands(commandLine, this.env);
    } catch (e) {
      if (!(e instanceof CommandLineError)) throw e;
      throw new AppLaunchError(e.message);
    }
    if (commands.length === 0) throw new AppLaunchError('the command names no program');
    // OSv's app route: the apps run side by side, so there is no "after this one".
    if (commands.some((c) => c.terminator === ';')) throw new AppLaunchError("';' is not allowed in a command");
    for (const c of commands) {
      const path = c.path ?? c.argv[0]!;
      if (!this.builtinProgram(path) && !this.programExists(path))
        throw new AppLaunchError(`Failed to load object: ${path}`);
    }
    return this.backgroundApps.add(commands);
  }

  /**
   * Runs the apps PUT /app/ started, one after another on the app thread, for as long as
   * `waiting()` holds or one is queued; between them the scheduler runs the kernel threads
   * (the management API's server among them) and idles the vCPU.
   */
  private runBackgroundAppsWhile(waiting: () => boolean): void {
    const apps = this.backgroundApps;
    for (;;) {
      const app = apps.next();
      if (app) {
        try {
          const path = app.command.path ?? app.command.argv[0]!;
          const builtin = this.builtinProgram(path);
          if (builtin) builtin.run(app.command.argv, (text) => this.log(text));
          else this.runApp(app.command.argv, this.env, path);
        } finally {
          apps.finished(app);
        }
        continue;
      }
      if (!waiting()) return;
      try {
        this.sched.block(() => apps.pending || !waiting());
      } catch (e) {
        // Every thread waits and nothing can wake one (no device, no timer: an inprocess
        // kernel under --noshutdown): nothing will ever happen again, so go on to power off.
        if (!(e instanceof DeadlockError)) throw e;
        return;
      }
    }
  }

  /** Runs one app on the app thread; the first prints the boot time before it starts. */
  private runApp(argv: string[], env: Map<string, string>, path: string): number {
    const first = !this.appStarted;
    this.appStarted = true;
    return this.runCommand(argv, env, first, path);
  }

  /** Whether `name` names a program file the guest could load (without reading it). */
  private programExists(name: string): boolean {
    const path = this.programPath(name);
    if (this.platform.programs?.has(path)) return true;
    if (!this.vfs) return this.platform.bootfs.get(path)?.kind === 'file';
    try {
      return this.vfs.vfs.stat(path).type === VType.VREG;
    } catch (e) {
      if (e instanceof KernelError) return false;
      throw e;
    }
  }

  /** ` (vblk0: partition table unreadable: …)` for the faults drivers found, or ''. */
  private deviceFaults(): string {
    const faults = this.registry.getAll<DeviceFault>(DEVICE_FAULT_CAPABILITY);
    return faults.length === 0 ? '' : ` (${faults.map((f) => `${f.device}: ${f.message}`).join('; ')})`;
  }

  /**
   * Before power-off, every mounted file system writes back (OSv's shutdown unmounts them; ZFS
   * syncs its open transaction group), so what the app wrote is on the disk when the VM stops.
   */
  private syncFileSystems(): void {
    if (!this.vfs) return;
    try {
      this.vfs.vfs.sync();
    } catch (e) {
      this.log(`sync at power-off failed: ${(e as Error).message}\n`);
    }
  }

  /**
   * Before power-off, give TCP up to LINGER_NS to deliver what closed sockets still hold: an app
   * that writes a reply and exits expects it to arrive, as Linux keeps sending a socket's queued
   * data after its process has exited (RFC 9293 §3.10.4: CLOSE does not discard queued SENDs).
   */
  private drainNetwork(): void {
    const net = this.network;
    if (!net) return;
    const stack = net.stack;
    const sending = (): boolean => {
      stack.poll();
      return stack.tcpConnections().some((c) => c.unsentOrUnacked > 0 && c.state !== 'CLOSED');
    };
    const deadlineNs = this.platform.clock.monotonicNs() + LINGER_NS;
    while (sending() && this.platform.clock.monotonicNs() < deadlineNs) {
      const next = stack.nextDeadlineNs();
      this.sched.block(() => !sending(), next === undefined ? deadlineNs : Math.min(next, deadlineNs));
    }
  }

  /** The VFS as /init and runscript see it: whole small text files and directory listings. */
  private commandFiles(vfs: Vfs): CommandFiles {
    return {
      readText: (path) => {
        const data = this.readWholeFile(vfs, path);
        return data && new TextDecoder().decode(data);
      },
      list: (path) => {
        let dir: File | undefined;
        try {
          dir = vfs.open(path, O_RDONLY | O_DIRECTORY);
          const names: string[] = [];
          for (let e = dir.readdir(2); e; e = dir.readdir(e.next)) names.push(e.name); // 0, 1: . and ..
          return names;
        } catch (e) {
          if (e instanceof KernelError) return undefined;
          throw e;
        } finally {
          dir?.close();
        }
      },
    };
  }

  /**
   * OSv's --redirect: stdout and stderr of every app go to FILE (truncated, or appended to with
   * `>>FILE`) instead of the console, announced on the console first as OSv does.
   */
  private redirectOutput(vfs: Vfs, r: { path: string; append: boolean }): void {
    vfs.open(r.path, O_WRONLY | O_CREAT | (r.append ? O_APPEND : O_TRUNC), 0o644).close();
    this.log(`${r.append ? 'Appending' : 'Writing'} stdout and stderr to ${r.path}\n`);
    this.redirectPath = r.path;
  }

  private redirectPath: string | undefined;

  /**
   * The program: a module the platform was given compiled, else the file through the VFS when
   * one is linked, else from the bootfs.
   */
  /** A program's guest path: relative names resolve against --cwd. */
  private programPath(name: string): string {
    return name.startsWith('/') ? name : `${this.options?.cwd ?? ''}/${name}`;
  }

  private loadProgram(name: string): Uint8Array | WebAssembly.Module | undefined {
    const path = this.programPath(name);
    const compiled = this.platform.programs?.get(path);
    if (compiled) return compiled;
    if (!this.vfs) {
      const entry = this.platform.bootfs.get(path);
      return entry?.kind === 'file' ? entry.data : undefined;
    }
    return this.readWholeFile(this.vfs.vfs, path);
  }

  /** A whole file through the VFS; undefined when it cannot be opened or read. */
  private readWholeFile(vfs: Vfs, path: string): Uint8Array | undefined {
    let file: File | undefined;
    try {
      file = vfs.open(path, O_RDONLY);
      const size = file.stat().size;
      // A WebAssembly app kept where the bootfs archive put it (ramfs) is compiled from there,
      // not from a copy (30 ms for a 30 MB app). Only a module: the view is of guest RAM, a
      // SharedArrayBuffer, which WebAssembly.Module reads but a JS app's TextDecoder refuses.
      const view = file.contentView();
      if (view !== undefined && view.length === size && isWasmBinary(view)) return view;
      const data = new Uint8Array(size);
      for (let at = 0; at < size;) {
        const n = file.read(data.subarray(at));
        if (n === 0) break;
        at += n;
      }
      return data;
    } catch (e) {
      if (e instanceof KernelError) return undefined;
      throw e;
    } finally {
      file?.close();
    }
  }

  /** The module program the command line names by `path` (BuiltinProgram), if one is linked. */
  private builtinProgram(path: string): BuiltinProgram | undefined {
    const programs = this.registry.getAll<BuiltinProgram>(BUILTIN_PROGRAM_CAPABILITY);
    return programs.find((p) => p.paths.includes(path));
  }

  private runCommand(argv: string[], env: Map<string, string>, first: boolean, path: string): number {
    const program = this.loadProgram(path);
    if (!program) {
      this.log(`Failed to load object: ${path}. Powering off.\n`);
      return ExitStatus.NOT_FOUND;
    }
    const fds = new FdTable();
    const block = (ready: () => boolean): void => void this.sched.block(ready);
    const stdinFile: OpenFile = this.stdin ? new ConsoleFile(this.stdin, true, false, block, 1n) : new EmptyInputFile();
    fds.allocate(stdinFile);
    if (this.redirectPath !== undefined && this.vfs) {
      // Each app appends to the file --redirect truncated (or appends to) once at boot.
      fds.allocate(new VfsFile(this.vfs.vfs.open(this.redirectPath, O_WRONLY | O_APPEND), this.redirectPath));
      fds.dup(1);
    } else {
      fds.allocate(new ConsoleFile(this.stdout, false, true, block, 2n));
      fds.allocate(new ConsoleFile(this.stderr, false, true, block, 3n));
    }
    const process = new Process({
      args: argv,
      env: [...env].map(([k, v]) => `${k}=${v}`),
      clock: this.platform.clock,
      entropy: this.appEntropy(),
      sched: this.sched,
      fds,
      tracer: this.tracer,
    });
    this.process = process;
    const beforeStart = first ? () => this.finishBoot() : undefined;
    let result: AppResult;
    if (program instanceof Uint8Array && (isJsApp(program) || /\.(mjs|cjs|js|mts|ts)$/.test(path))) {
      result = this.runJs(path, program, process, beforeStart);
    } else {
      const extensions: { extension: Preview1Extension; mapError?: (e: unknown) => number | undefined }[] = [];
      const preopens = this.platform.preopens ? [...this.platform.preopens.keys()] : ['/'];
      const factories = WASI_EXTENSION_CAPABILITIES.flatMap((c) => this.registry.getAll<WasiExtensionFactory>(c));
      try {
        for (const factory of factories) {
          extensions.push(factory(process, { preopens, listeners: this.options?.tcplisten ?? [] }));
        }
      } catch (e) {
        // --tcplisten sockets are bound here: an address the stack cannot listen on.
        if (!(e instanceof KernelError)) throw e;
        this.process = undefined;
        this.log(`${path}: ${e.message}\n`);
        fds.closeAll();
        return 1;
      }
      this.stamp('app loaded');
      const allocator = this.platform.allocator;
      const memory = allocator && new AppMemoryAccount(allocator, this.platform.memoryFigures().totalBytes);
      this.appMemory = memory;
      try {
        result = runWasmApp(path, program, process, { extensions, beforeStart, ...(memory ? { memory } : {}) });
      } finally {
        memory?.close();
        this.appMemory = undefined;
      }
    }
    this.process = undefined;
    if (result.error) this.log(`${result.error}\n`);
    fds.closeAll();
    return result.status;
  }

  /**
   * A JS-module app, run by the js-app kernel module in an SES compartment (libc's Posix over the
   * process, the VFS and, with a network stack, the posix-sockets layer); --tcplisten sockets
   * become fds 3, 4, … as for WASI apps.
   */
  private runJs(path: string, program: Uint8Array, process: Process, beforeStart: (() => void) | undefined): AppResult {
    const runner = this.registry.tryGet<JsAppRunner>(JS_APP_CAPABILITY);
    if (!runner)
      return {
        status: ExitStatus.CANNOT_EXECUTE,
        error: `${path}: a JS app needs the js-app kernel module (osv run links it for .mjs apps)`,
      };
    if (!this.vfs) return { status: ExitStatus.CANNOT_EXECUTE, error: `${path}: a JS app needs the vfs kernel module` };
    return runner(path, program, process, {
      vfs: this.vfs.vfs,
      listeners: this.options?.tcplisten ?? [],
      onLoaded: () => this.stamp('app loaded'),
      beforeStart,
    });
  }

  /** What /proc shows, from core-sched's counters and the running process. */
  private deviceEntropy: Entropy | undefined;

  /**
   * What /dev/random, /dev/urandom and random_get read: virtio-rng when a driver for one is
   * linked (the host's CSPRNG, as OSv feeds them from its virtio-rng driver), buffered so a
   * small request is not a device round trip; otherwise the vCPU's own CSPRNG.
   */
  private appEntropy(): Entropy {
    if (this.deviceEntropy) return this.deviceEntropy;
    const all = this.registry.getAll<Entropy>('entropy');
    const device = all.at(-1);
    if (!device || device === this.platform.entropy) return this.platform.entropy;
    return (this.deviceEntropy = new BufferedEntropy(device));
  }

  private procInfo(): ProcInfo {
    const p = this.platform;
    return {
      uptimeNs: () => p.clock.monotonicNs(),
      memory: () => {
        this.appMemory?.sync();
        return p.memoryFigures();
      },
      cpus: () => ({ count: 1, modelName: `osv-ts vCPU (${p.target})` }),
      self: () => {
        const pr = this.process;
        return {
          pid: 1,
          name: pr?.args[0]?.split('/').pop() ?? 'kernel',
          cmdline: pr?.args ?? [],
          environ: pr?.env ?? [],
          cwd: this.options?.cwd ?? '/',
          fds: () =>
            pr
              ? pr.fds
                  .descriptors()
                  .map((fd) => ({ fd, path: (pr.fds.file(fd) as { path?: string }).path ?? `anon:[${fd}]` }))
              : [],
        };
      },
      kernelVersion: OSV_TS_VERSION,
    };
  }

  /** OSv prints the boot time just before the app starts. */
  private finishBoot(): void {
    this.stamp('Total time');
    const o = this.options!;
    const chart = this.platform.bootchart;
    if (o.bootchart) this.log(chart.format());
    else if (o.verbose) this.log(chart.formatSummary());
  }

  private stamp(stage: string): void {
    this.platform.bootchart.stamp(stage, this.platform.nowMs());
    if (this.tpBootStage.enabled) this.tpBootStage.emit(stage);
  }

  /**
   * OSv's --trace=<pattern>: enable matching tracepoints, recording into a ring in guest RAM
   * that the host can read while the guest runs (and after it powers off).
   */
  private startTracing(patterns: readonly string[]): void {
    const region = this.platform.traceRegion?.();
    if (region) this.tracer.attach(new TraceRing(region));
    for (const p of patterns) this.tracer.enable(p);
    this.registry.provide('tracer', this.tracer);
  }

  /**
   * Kernel messages go to the stderr console, keeping the app's stdout clean. A console whose
   * host output failed drops them: there is nowhere left to say so.
   */
  log(text: string): void {
    this.bootLogText += text;
    if (this.bootLogText.length > BOOT_LOG_BYTES) this.bootLogText = this.bootLogText.slice(-BOOT_LOG_BYTES);
    try {
      (this.stderr ?? this.platform.fallbackConsoles()[0])?.write(encoder.encode(text));
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
    }
  }
}

/** The first option that acts through the VFS (a file, a directory, a mount), as it was written. */
function optionNeedingVfs(o: LoaderOptions): string | undefined {
  if (o.rootfs !== undefined) return `--rootfs=${o.rootfs}`;
  const m = o.mountFs[0];
  if (m !== undefined) return `--mount-fs=${m.fsType},${m.source},${m.path}`;
  if (o.redirect !== undefined) return `--redirect=${o.redirect.append ? '>>' : ''}${o.redirect.path}`;
  if (o.cwd !== undefined) return `--cwd=${o.cwd}`;
  return undefined;
}

/**
 * `mkdir -p` through the Vfs's own methods: @osv-ts/vfs's mkdirp would link VFS code into
 * every kernel, and a hello kernel has none (release-check's hello-kernel test).
 */
function mkdirs(vfs: Vfs, path: string): void {
  let at = '';
  for (const part of path.split('/').filter(Boolean)) {
    at += `/${part}`;
    try {
      vfs.stat(at);
    } catch (e) {
      if (!(e instanceof KernelError) || e.errno !== Errno.ENOENT) throw e;
      vfs.mkdir(at, 0o755);
    }
  }
}

/** §5.5.16: a module starts with the magic `\0asm`. */
function isWasmBinary(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

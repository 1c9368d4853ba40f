// The boot sequence (OSv loader.cc main_cont + do_main_thread, reduced to what osv-ts has):
// parse the command line, initialise the linked modules (drivers first), set up the consoles,
// print the boot time, then run the application commands and return the last exit status.
import { type Console, type KernelModule } from '@osv-ts/kernel-api';
import { Scheduler } from '@osv-ts/core-sched';
import { ConsoleFile, FdTable, Process, type OpenFile } from '@osv-ts/libc';
import { parseAppCommands } from '../cmdline/app-commands.js';
import { splitLoaderCommandLine } from '../cmdline/loader-cmdline.js';
import { LOADER_USAGE, parseLoaderOptions, type LoaderOptions } from '../cmdline/loader-options.js';
import { CommandLineError } from '../cmdline/mmio-device-tokens.js';
import { ExitStatus, runWasmApp } from '../app/wasm-app.js';
import { ModuleRegistry } from './module-registry.js';
import type { Platform } from './platform.js';
import { EmptyInputFile } from './empty-input-file.js';

export const OSV_TS_VERSION = '0.1.0';

const encoder = new TextEncoder();

export class Kernel {
  readonly registry = new ModuleRegistry();
  readonly sched: Scheduler;
  private stdout!: Console;
  private stderr!: Console;
  private stdin: Console | undefined;
  options: LoaderOptions | undefined;

  constructor(
    readonly platform: Platform,
    private readonly modules: readonly KernelModule[],
  ) {
    this.sched = new Scheduler(platform.clock, platform.cpu);
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
    this.stamp('command line parsed');

    this.registry.provide('scheduler', this.sched);
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
    if (o.help) this.log(LOADER_USAGE);
    if (o.verbose) this.log(`OSv-ts v${OSV_TS_VERSION} (${p.target}), modules: ${this.registry.initialised.join(', ') || 'none'}\n`);

    const env = new Map<string, string>();
    for (const kv of o.env) {
      const eq = kv.indexOf('=');
      if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    const commands = p.commands ?? parseAppCommands(appCommandLine, env);
    if (commands.length === 0) {
      this.log('This image has an empty command line. Nothing to run.\n');
      return 0;
    }
    if (o.verbose) this.log(`Cmdline: ${appCommandLine.trim()}\n`);
    let status = 0;
    let first = true;
    for (const cmd of commands) {
      if (cmd.terminator === '&' || cmd.terminator === '&!') {
        this.log(`osv: running '${cmd.argv[0]}' in the foreground: background apps need more than one app thread\n`);
      }
      status = this.runCommand(cmd.argv, env, first);
      first = false;
    }
    this.stdout.flush();
    if (this.stderr !== this.stdout) this.stderr.flush();
    return status;
  }

  private runCommand(argv: string[], env: Map<string, string>, first: boolean): number {
    const path = argv[0]!.startsWith('/') ? argv[0]! : `/${argv[0]}`;
    const entry = this.platform.bootfs.get(path);
    if (!entry || entry.kind !== 'file') {
      this.log(`Failed to load object: ${argv[0]}. Powering off.\n`);
      return ExitStatus.NOT_FOUND;
    }
    const fds = new FdTable();
    const block = (ready: () => boolean): void => void this.sched.block(ready);
    const stdinFile: OpenFile = this.stdin ? new ConsoleFile(this.stdin, true, false, block, 1n) : new EmptyInputFile();
    fds.allocate(stdinFile);
    fds.allocate(new ConsoleFile(this.stdout, false, true, block, 2n));
    fds.allocate(new ConsoleFile(this.stderr, false, true, block, 3n));
    const process = new Process({
      args: argv,
      env: [...env].map(([k, v]) => `${k}=${v}`),
      clock: this.platform.clock,
      entropy: this.platform.entropy,
      sched: this.sched,
      fds,
    });
    this.stamp('app loaded');
    const result = runWasmApp(argv[0]!, entry.data, process, { beforeStart: first ? () => this.finishBoot() : undefined });
    if (result.error) this.log(`${result.error}\n`);
    fds.closeAll();
    return result.status;
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
  }

  /** Kernel messages go to the stderr console, keeping the app's stdout clean. */
  log(text: string): void {
    (this.stderr ?? this.platform.fallbackConsoles()[0])?.write(encoder.encode(text));
  }
}

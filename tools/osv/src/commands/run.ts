// `osv run`: check the command line, compose a kernel for the app, build the boot file system,
// start the microVM, and exit with the app's status.
import { basename } from 'node:path';
import { isatty } from 'node:tty';
import { parseWasmModule } from '@osv-ts/elf-linker';
import { BootFlag } from '@osv-ts/kernel-api';
import { Machine, formatMemorySize, maxCommandLineBytes, type VcpuWorker } from '@osv-ts/vmm';
import { VirtioBlkDevice, VirtioNetDevice, type DeviceModel } from '@osv-ts/drivers-virtio';
import { bootfsImage, type BootfsEntry } from '@osv-ts/vfs/bootfs';
import { UsageError } from '../cli-error.js';
import { checkOutputPath, readRegularFile } from '../image/host-files.js';
import { NeedList, appNeeds, jsAppNeeds } from '../linker/app-needs.js';
import { loadProfile, type Profile } from '../linker/profile.js';
import { JS_APP_FILE, JsAppLinkError } from '../linker/js-app-file.js';
import { composeKernel } from '../linker/kernel-bundle.js';
import { fileSystemTypes, loadCatalog } from '../linker/module-catalog.js';
import { selectModules } from '../linker/select-modules.js';
import { openDisks } from './disks.js';
import { checkShare, openShares } from './share-devices.js';
import {
  RUN_USAGE,
  buildCommandLine,
  inspectPort,
  parseRunOptions,
  type DiskSpec,
  type RunOptions,
} from './run-options.js';
import { IMAGE_RUN_USAGE, takeImageOption } from './image-run-options.js';
import { planNetwork, startNetwork } from './net-backend.js';
import { API_PROGRAM_PATHS, apiForwardRule, apiModuleName } from './api-option.js';
import type { ApiGateway } from '../api-gateway/api-gateway.js';
import { printDeviceCounters, reportMachineError, runInForeground, writeTrace } from './foreground-machine.js';
import { hostConsoles, type ConsoleOutput } from './host-output.js';
import { HostStages } from './host-stages.js';
import { capabilitiesForOptions, checkCommandLine } from './osv-cmdline.js';

// What only some runs need is imported where they need it (issue 14: a hello run loads no
// esbuild, no manifest reader, no ROFS writer, no image loader).

/** The guest's MAC address (the one OSv's scripts/firecracker.py gives its guests). */
const GUEST_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

/**
 * `vcpu`: a vCPU worker the CLI started before it loaded this command (VcpuWorker), booted if
 * a machine runs and closed otherwise.
 */
export async function runCommand(argv: readonly string[], vcpu?: VcpuWorker, io: RunIo = CLI_IO): Promise<number> {
  try {
    return await run(argv, vcpu, io);
  } finally {
    vcpu?.close();
  }
}

/** Where a run's guest consoles read and write: the CLI's own stdio, or run()'s options. */
export interface RunIo {
  readonly stdout: ConsoleOutput;
  readonly stderr: ConsoleOutput;
  /** Undefined: stdin is not connected (the app reads end of file). */
  readonly stdin: NodeJS.ReadableStream | Uint8Array | undefined;
  /** Whether Ctrl-C and SIGTERM stop the machine. */
  readonly signals: boolean;
}

const CLI_IO: RunIo = { stdout: 1, stderr: 2, stdin: process.stdin, signals: true };

/** Whether a console's host end is a terminal (the guest's isatty answers by it). */
const isTty = (o: ConsoleOutput | RunIo['stdin']): boolean =>
  typeof o === 'number' ? isatty(o) : o === process.stdin && isatty(0);

async function run(argv: readonly string[], vcpu: VcpuWorker | undefined, io: RunIo): Promise<number> {
  const stages = new HostStages();
  stages.stamp('CLI loaded');
  const { image, rest } = takeImageOption(argv);
  if (image !== undefined) return (await import('./image-run.js')).runImage(image, rest, vcpu);
  const o = parseRunOptions(argv);
  if (o.help) {
    process.stdout.write(RUN_USAGE + IMAGE_RUN_USAGE);
    return 0;
  }
  // 1. The profile and the command line, before anything is read or composed: the kernel's
  // parsers on the host.
  const profile = loadProfile(o.profile ?? 'vm-node');
  checkProfileDevices(profile, o);
  const catalog = loadCatalog();
  const appGuestName = o.app === undefined ? undefined : basename(o.app);
  const cmdline = buildCommandLine(o, appGuestName);
  const deviceCount =
    2 + o.disks.length + o.shares.length + (o.rootfsImage !== undefined ? 1 : 0) + (o.networking ? 1 : 0);
  const checked = checkCommandLine(
    cmdline,
    {
      name: o.execute !== undefined ? '-e' : 'command line',
      bulk: o.execute !== undefined ? '-e' : `${appGuestName} and its arguments`,
      maxBytes: maxCommandLineBytes(deviceCount),
    },
    fileSystemTypes(catalog),
  );
  if (o.traceOut !== undefined) {
    if (checked.options.trace.length === 0)
      throw new UsageError('--trace-out needs tracepoints to record: give --trace PATTERN');
    checkOutputPath(o.traceOut, '--trace-out');
  }

  stages.stamp('command line checked');

  // 2. The files of the boot file system, and what the apps among them need from the kernel.
  const files: BootfsEntry[] = [];
  const needs = new NeedList()
    .add('console', 'every app has stdin/stdout/stderr')
    .addAll(capabilitiesForOptions(checked.options));
  // JS-module apps (the positional app, or --file /x.mjs=… for -e command lines) are linked on
  // the host into the guest's JS app format; see linker/js-app.ts.
  let jsApps = 0;
  const link = async (hostPath: string, what: string): Promise<Uint8Array> => {
    readRegularFile(hostPath, what);
    jsApps++;
    try {
      return await (await import('../linker/js-app.js')).linkJsApp(hostPath);
    } catch (e) {
      if (!(e instanceof JsAppLinkError)) throw e;
      const [first, ...more] = e.message.split('\n');
      throw new UsageError(
        `cannot link JS app ${hostPath}: ${first}${more.length ? ` (and ${more.length} more errors)` : ''}`,
      );
    }
  };
  if (o.app !== undefined) {
    if (JS_APP_FILE.test(o.app)) {
      files.push({ name: `/${appGuestName}`, kind: 'file', data: await link(o.app, 'app') });
    } else {
      const data = readRegularFile(o.app, 'app');
      files.push({ name: `/${appGuestName}`, kind: 'file', data });
      try {
        needs.addAll(appNeeds(parseWasmModule(data)).needs);
      } catch {
        // Not a valid module: the kernel reports it when it loads the app, like any bad binary.
      }
    }
  }
  for (const f of o.files) {
    const what = `--file ${f.guestPath}`;
    files.push({
      name: f.guestPath,
      kind: 'file',
      data:
        JS_APP_FILE.test(f.guestPath) && /\.m?js$|\.m?ts$/.test(f.hostPath)
          ? await link(f.hostPath, what)
          : readRegularFile(f.hostPath, what),
    });
  }
  const manifests = o.manifests.length > 0 ? await import('../image/manifest-files.js') : undefined;
  for (const m of o.manifests) {
    const { plan, entries } = manifests!.manifestBootfsEntries(m);
    // `.mjs` files a manifest puts in the guest are JS apps: link them (other .js files, such
    // as a web server's assets, stay as they are).
    for (const p of plan.entries) {
      if (!p.guest.endsWith('.mjs') || p.node.kind !== 'file') continue;
      const at = entries.findIndex((e) => e.kind === 'file' && e.name === p.guest);
      if (at >= 0) entries[at] = { name: p.guest, kind: 'file', data: await link(p.node.host, `--manifest ${m}`) };
    }
    files.push(...entries);
    needs.add('vfs', `--manifest ${m}`);
  }
  if (o.app === undefined) {
    // With -e the app is one of the boot file system's modules: link what any of them needs.
    for (const f of files) {
      if (f.kind !== 'file' || !f.name.endsWith('.wasm')) continue;
      try {
        needs.addAll(appNeeds(parseWasmModule(f.data)).needs);
      } catch {
        // not a module the kernel could run either
      }
    }
  }
  const diskSpecs: (DiskSpec & { option?: string })[] = [...o.disks];
  if (o.rootfsImage !== undefined) {
    await checkRofsImage(o.rootfsImage);
    if (o.app !== undefined)
      throw new UsageError('--rootfs-image: the app comes from the image; give its command line with -e');
    // vblk0, which the kernel mounts as / (no partition table); ROFS never writes, so VMs share it.
    diskSpecs.unshift({ path: o.rootfsImage, readOnly: true, shareWrite: false, option: '--rootfs-image' });
    needs.add('fs:rofs', '--rootfs-image');
    needs.add('wasi:fs', '--rootfs-image: the app is in the image, unread here'); // give it the file calls
  }
  if (diskSpecs.length > 0) needs.add('blockdev', diskSpecs[0]!.option ?? '--disk');
  for (const s of o.shares) {
    checkShare(s);
    needs.add('fs:virtiofs', `--share ${s.hostDir}:${s.guestPath}`);
  }
  const wantsSockets = o.networking || checked.options.tcplisten.length > 0;
  // A program that is not in the boot file system (on a --disk or --rootfs-image) is not read
  // here: give it the socket calls for the listeners it is handed rather than refuse them.
  const known = new Set([...files.map((f) => f.name), ...API_PROGRAM_PATHS]);
  const unread = checked.programs.some((p) => p !== 'runscript' && !known.has(p.startsWith('/') ? p : `/${p}`));
  if (checked.options.tcplisten.length > 0 && unread)
    needs.add('wasi:net', `--tcplisten ${checked.options.tcplisten[0]}: the app is not in the boot file system`);
  if (checked.options.tcplisten.length > 0 && jsApps === 0 && !needs.has('wasi:net'))
    throw new UsageError(
      `--tcplisten ${checked.options.tcplisten[0]}: ${appGuestName ?? 'no app on the command line'} imports no socket calls (sock_accept), so it cannot use a listening socket`,
    );
  if (wantsSockets) needs.add('netstack', o.networking ? '-n' : `--tcplisten ${checked.options.tcplisten[0]}`);
  if (jsApps > 0) needs.addAll(jsAppNeeds({ networking: wantsSockets }).needs);
  if (o.api) {
    const option = o.api.monitoring ? '--api-monitoring' : '--api';
    needs.add('httpserver-api', option);
    needs.add('vfs', `${option}: the file and fs routes`);
  }
  const apiProgram = checked.programs.find((p) => API_PROGRAM_PATHS.includes(p));
  if (apiProgram !== undefined && !o.api) {
    needs.add('httpserver-api', `${apiProgram} on the command line`);
    needs.add('vfs', `${apiProgram}: the file and fs routes`);
  }

  // 3. The kernel and the machine.
  // The gateway (node:https, node:crypto) loads only for the runs that need it (issue 14).
  const gatewayPlan =
    o.apiToken !== undefined || o.apiCert !== undefined
      ? await (await import('./api-security.js')).planApiGateway(o)
      : undefined;
  const apiForward = gatewayPlan?.forwardRule ?? (o.api ? apiForwardRule(o.api) : undefined);
  const netPlan = planNetwork(apiForward !== undefined ? { ...o, forwards: [...o.forwards, apiForward] } : o);
  const selection = selectModules(
    catalog,
    profile,
    needs.list().map((n) => (n.capability === 'console' ? n : { ...n, optional: true })),
    o.api ? { prefer: [apiModuleName(o.api)] } : {},
  );
  const kernel = await composeKernel(selection.modules, 'vm-node');
  stages.stamp(kernel.cached ? 'kernel found' : 'kernel composed');
  const devices: DeviceModel[] = [];
  const consoles = hostConsoles(io.stdout, io.stderr);
  if (selection.modules.some((m) => m.name === 'virtio-console')) devices.push(consoles.stdout, consoles.stderr);
  const disks = openDisks(diskSpecs);
  disks.forEach((d, i) => devices.push(new VirtioBlkDevice(`vblk${i}`, d.backend, { serial: `osv-ts-vblk${i}` })));
  const shares = openShares(o.shares);
  devices.push(...shares.devices);
  const closeDisks = (): void => {
    disks.forEach((d) => d.backend.close?.());
    shares.close();
  };
  let hostNet;
  let gateway: ApiGateway | undefined;
  try {
    hostNet = o.dryRun ? undefined : await startNetwork(netPlan);
    gateway = o.dryRun ? undefined : await gatewayPlan?.start();
  } catch (e) {
    hostNet?.close();
    closeDisks();
    throw e;
  }
  if (hostNet) devices.push(new VirtioNetDevice('eth0', hostNet, { mac: GUEST_MAC }));

  const stdinConnected = !o.dryRun && io.stdin !== undefined;
  const flags =
    (isTty(io.stdin) ? BootFlag.STDIN_TTY : 0) |
    (isTty(io.stdout) ? BootFlag.STDOUT_TTY : 0) |
    (isTty(io.stderr) ? BootFlag.STDERR_TTY : 0) |
    (stdinConnected ? BootFlag.STDIN_CONNECTED : 0);
  let machine: Machine;
  try {
    machine = new Machine({
      memBytes: o.memBytes,
      cmdline,
      kernelPath: kernel.path,
      hardenedRealm: kernel.hardenedRealm,
      codeCachePath: kernel.codeCachePath,
      devices,
      bootfs: bootfsImage(files),
      bootFlags: flags,
      inspect: o.debug,
      inspectPort: inspectPort(),
      vcpu,
    });
  } catch (e) {
    hostNet?.close();
    void gateway?.close();
    closeDisks();
    throw e;
  }
  stages.stamp('machine created');
  if (o.verbose || o.dryRun) {
    process.stderr.write(
      `osv: kernel ${kernel.hash} (${(kernel.sizeBytes / 1024).toFixed(1)} KiB${kernel.cached ? ', cached' : ''}) modules: ${kernel.modules.join(', ') || 'none'}\n` +
        (selection.unavailable.length
          ? `osv: not linked (calls return ENOSYS): ${selection.unavailable.map((n) => n.capability).join(', ')}\n`
          : '') +
        `osv: machine: ${formatMemorySize(o.memBytes)} RAM, ${o.vcpus} vCPU, devices: ${devices.map((d) => d.name).join(', ') || 'none'}\n` +
        (hostNet ? `osv: network: ${hostNet.description}\n` : '') +
        (gateway ? `osv: API at ${gateway.url} (token and TLS checked on the host)\n` : '') +
        `osv: cmdline: ${machine.cmdline}\n`,
    );
  }
  if (o.dryRun) {
    closeDisks();
    return 0;
  }
  if (o.debug)
    process.stderr.write(
      `osv: the vCPU waits for a debugger: node inspect 127.0.0.1:${inspectPort()}, or chrome://inspect\n`,
    );

  const exit = await runInForeground(machine, {
    stdinConsole: stdinConnected ? consoles.stdout : undefined,
    ...(io.stdin !== undefined ? { input: io.stdin } : {}),
    signals: io.signals,
    cleanup: () => {
      hostNet?.close();
      void gateway?.close();
      closeDisks();
    },
  });
  reportMachineError(exit, o.verbose);
  if (o.traceOut) writeTrace(machine, o.traceOut);
  stages.stamp('exit');
  if (o.verbose) {
    printDeviceCounters(machine, exit.status);
    process.stderr.write(stages.format());
  }
  return consoles.finish(exit.status);
}

/** `--rootfs-image` takes a bare ROFS image: its superblock starts with ROFS_MAGIC. */
async function checkRofsImage(path: string): Promise<void> {
  const { ROFS_MAGIC } = await import('@osv-ts/vfs/rofs-writer');
  const head = Buffer.from(readRegularFile(path, '--rootfs-image').subarray(0, 8));
  if (head.length < 8 || head.readBigUInt64LE(0) !== ROFS_MAGIC) {
    throw new UsageError(
      `--rootfs-image ${path}: not a ROFS image (osv mkfs rofs makes one; disk images from osv build boot with -i)`,
    );
  }
}

/**
 * osv run boots vm-node machines, and attaches only the devices the profile names: an option
 * that needs another device is refused rather than left without a driver.
 */
function checkProfileDevices(profile: Profile, o: RunOptions): void {
  if (profile.target !== 'vm-node')
    throw new UsageError(
      `--profile ${profile.name} is for target ${profile.target}, and osv run boots vm-node machines` +
        (profile.target === 'vm-browser' ? ' (osv build --profile vm-browser -o DIR writes a site)' : ''),
    );
  const wants: [string, string | undefined][] = [
    ['virtio-console', 'the console'],
    ['virtio-blk', o.rootfsImage !== undefined ? '--rootfs-image' : o.disks.length > 0 ? '--disk' : undefined],
    ['virtio-net', o.networking ? '-n' : undefined],
    ['virtio-fs', o.shares.length > 0 ? '--share' : undefined],
  ];
  for (const [device, why] of wants)
    if (why !== undefined && !profile.devices.includes(device))
      throw new UsageError(`--profile ${profile.name} attaches no ${device} device, which ${why} needs`);
}

// `osv run`: compose a kernel for the app, build the boot file system, start the microVM, and
// exit with the app's status.
import { readFileSync, writeFileSync } from 'node:fs';
import { readTraceRing, toChromeTrace } from '@osv-ts/core-sched';
import { basename } from 'node:path';
import { parseWasmModule } from '@osv-ts/elf-linker';
import { BootFlag } from '@osv-ts/kernel';
import { Machine, formatMemorySize } from '@osv-ts/vmm';
import { VirtioBlkDevice, VirtioConsoleDevice, VirtioNetDevice, type DeviceModel } from '@osv-ts/drivers-virtio';

/** The guest's MAC address (the one OSv's scripts/firecracker.py gives its guests). */
const GUEST_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
import { writeBootfs, type BootfsEntry } from '@osv-ts/vfs/bootfs';
import { ROFS_MAGIC } from '@osv-ts/vfs/rofs-writer';
import { toBootfsEntries } from '@osv-ts/vfs/manifest';
import { readManifest, writingFrom } from '../image/manifest-files.js';
import { nodeHostFs } from '../image/node-host-fs.js';
import { appNeeds, jsAppNeeds } from '../linker/app-needs.js';
import { JS_APP_FILE, JsAppLinkError, linkJsApp } from '../linker/js-app.js';
import { composeKernel } from '../linker/kernel-bundle.js';
import { loadCatalog } from '../linker/module-catalog.js';
import { selectModules } from '../linker/select-modules.js';
import { DiskOpenFailure, openDisks, type OpenDisk } from './disks.js';
import {
  RUN_USAGE,
  UsageError,
  type DiskSpec,
  buildCommandLine,
  fileSystemsNamed,
  inspectPort,
  parseRunOptions,
} from './run-options.js';
import { IMAGE_RUN_USAGE, runImage, takeImageOption } from './image-run.js';
import { planNetwork, startNetwork } from './net-backend.js';
import { printDeviceCounters, runInForeground } from './foreground-machine.js';

export async function runCommand(argv: readonly string[]): Promise<number> {
  const { image, rest } = takeImageOption(argv);
  if (image !== undefined) return runImage(image, rest);
  const o = parseRunOptions(argv);
  if (o.help) {
    process.stdout.write(RUN_USAGE + IMAGE_RUN_USAGE);
    return 0;
  }
  const files: BootfsEntry[] = [];
  let appGuestName: string | undefined;
  const capabilities = new Set<string>(['console']);
  const readHost = (path: string): Uint8Array => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  // JS-module apps (the positional app, or --file /x.mjs=… for -e command lines) are linked on
  // the host into the guest's JS app format; see linker/js-app.ts.
  let jsApps = 0;
  const link = async (hostPath: string): Promise<Uint8Array> => {
    readHost(hostPath);
    jsApps++;
    try {
      return await linkJsApp(hostPath);
    } catch (e) {
      if (e instanceof JsAppLinkError) throw new UsageError(`cannot link JS app ${hostPath}:\n${e.message}`);
      throw e;
    }
  };
  if (o.app !== undefined) {
    appGuestName = basename(o.app);
    if (JS_APP_FILE.test(o.app)) {
      files.push({ name: `/${appGuestName}`, kind: 'file', data: await link(o.app) });
    } else {
      const data = readHost(o.app);
      files.push({ name: `/${appGuestName}`, kind: 'file', data });
      try {
        for (const cap of appNeeds(parseWasmModule(data)).capabilities) capabilities.add(cap);
      } catch {
        // Not a valid module: the kernel reports it when it loads the app, like any bad binary.
      }
    }
  }
  for (const f of o.files) {
    files.push({
      name: f.guestPath,
      kind: 'file',
      data:
        JS_APP_FILE.test(f.guestPath) && /\.m?js$|\.m?ts$/.test(f.hostPath)
          ? await link(f.hostPath)
          : readHost(f.hostPath),
    });
  }
  for (const m of o.manifests) {
    const plan = readManifest(m);
    const entries = writingFrom(m, () => toBootfsEntries(plan, nodeHostFs));
    // `.mjs` files a manifest puts in the guest are JS apps: link them (other .js files, such
    // as a web server's assets, stay as they are).
    for (const p of plan.entries) {
      if (!p.guest.endsWith('.mjs') || p.node.kind !== 'file') continue;
      const at = entries.findIndex((e) => e.kind === 'file' && e.name === p.guest);
      if (at >= 0) entries[at] = { name: p.guest, kind: 'file', data: await link(p.node.host) };
    }
    files.push(...entries);
    capabilities.add('vfs');
  }
  if (o.app === undefined) {
    // With -e the app is one of the boot file system's modules: link what any of them needs.
    for (const f of files) {
      if (f.kind !== 'file' || !f.name.endsWith('.wasm')) continue;
      try {
        for (const cap of appNeeds(parseWasmModule(f.data)).capabilities) capabilities.add(cap);
      } catch {
        // not a module the kernel could run either
      }
    }
  }

  if (o.networking || o.tcplisten.length > 0) capabilities.add('netstack');
  if (jsApps > 0)
    for (const cap of jsAppNeeds({ networking: o.networking || o.tcplisten.length > 0 }).capabilities)
      capabilities.add(cap);
  const diskSpecs: (DiskSpec & { option?: string })[] = [...o.disks];
  if (o.rootfsImage !== undefined) {
    checkRofsImage(o.rootfsImage);
    if (o.app !== undefined)
      throw new UsageError('--rootfs-image: the app comes from the image; give its command line with -e');
    // vblk0, which the kernel mounts as / (no partition table); ROFS never writes, so VMs share it.
    diskSpecs.unshift({ path: o.rootfsImage, readOnly: true, shareWrite: false, option: '--rootfs-image' });
    capabilities.add('fs:rofs');
    capabilities.add('wasi:fs'); // the app is in the image, unread here: give it the file calls
  }
  if (diskSpecs.length > 0) capabilities.add('blockdev');
  for (const t of fileSystemsNamed(o)) capabilities.add(`fs:${t}`);
  const netPlan = planNetwork(o);
  const selection = selectModules(
    loadCatalog(),
    'vm-node',
    ['console'],
    [...capabilities].filter((c) => c !== 'console'),
  );
  const kernel = await composeKernel(selection.modules, 'vm-node');
  const devices: DeviceModel[] = [];
  const stdoutSink = { write: (b: Uint8Array) => void process.stdout.write(Buffer.from(b)) };
  const stderrSink = { write: (b: Uint8Array) => void process.stderr.write(Buffer.from(b)) };
  const consoleOut = new VirtioConsoleDevice('console0', stdoutSink);
  const consoleErr = new VirtioConsoleDevice('console1', stderrSink);
  if (selection.modules.some((m) => m.name === 'virtio-console')) devices.push(consoleOut, consoleErr);
  let disks: OpenDisk[];
  try {
    disks = openDisks(diskSpecs);
  } catch (e) {
    if (!(e instanceof DiskOpenFailure)) throw e;
    process.stderr.write(`osv: ${e.message}\n`);
    return 1;
  }
  disks.forEach((d, i) => devices.push(new VirtioBlkDevice(`vblk${i}`, d.backend, { serial: `osv-ts-vblk${i}` })));
  const closeDisks = (): void => disks.forEach((d) => d.backend.close?.());
  const hostNet = o.dryRun ? undefined : await startNetwork(netPlan);
  if (hostNet) devices.push(new VirtioNetDevice('eth0', hostNet, { mac: GUEST_MAC }));

  const cmdline = buildCommandLine(o, appGuestName);
  const stdinConnected = !o.dryRun;
  const flags =
    (process.stdin.isTTY ? BootFlag.STDIN_TTY : 0) |
    (process.stdout.isTTY ? BootFlag.STDOUT_TTY : 0) |
    (process.stderr.isTTY ? BootFlag.STDERR_TTY : 0) |
    (stdinConnected ? BootFlag.STDIN_CONNECTED : 0);
  const machine = new Machine({
    memBytes: o.memBytes,
    cmdline,
    kernelPath: kernel.path,
    devices,
    bootfs: writeBootfs(files),
    bootFlags: flags,
    inspect: o.debug,
    inspectPort: inspectPort(),
  });
  if (o.verbose || o.dryRun) {
    process.stderr.write(
      `osv: kernel ${kernel.hash} (${(kernel.sizeBytes / 1024).toFixed(1)} KiB${kernel.cached ? ', cached' : ''}) modules: ${kernel.modules.join(', ') || 'none'}\n` +
        (selection.unavailable.length
          ? `osv: not linked (calls return ENOSYS): ${selection.unavailable.join(', ')}\n`
          : '') +
        `osv: machine: ${formatMemorySize(o.memBytes)} RAM, ${o.vcpus} vCPU, devices: ${devices.map((d) => d.name).join(', ') || 'none'}\n` +
        (hostNet ? `osv: network: ${hostNet.description}\n` : '') +
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
    stdinConsole: stdinConnected ? consoleOut : undefined,
    cleanup: () => {
      hostNet?.close();
      closeDisks();
    },
  });
  if (exit.error && exit.status !== 130) process.stderr.write(`osv: ${exit.error}\n`);
  if (o.traceOut) {
    const region = machine.traceRegion();
    if (!region) process.stderr.write('osv: no trace recorded (give --trace PATTERN)\n');
    else {
      const trace = readTraceRing(region);
      writeFileSync(o.traceOut, JSON.stringify(toChromeTrace(trace.records)));
      process.stderr.write(
        `osv: wrote ${trace.records.length} trace records to ${o.traceOut}${trace.lostBytes ? ` (${trace.lostBytes} bytes overwritten)` : ''}\n`,
      );
    }
  }
  if (o.verbose) printDeviceCounters(machine, exit.status);
  return exit.status;
}

/** `--rootfs-image` takes a bare ROFS image: its superblock starts with ROFS_MAGIC. */
function checkRofsImage(path: string): void {
  let head: Buffer;
  try {
    head = readFileSync(path).subarray(0, 8);
  } catch (e) {
    throw new UsageError(`--rootfs-image ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (head.length < 8 || head.readBigUInt64LE(0) !== ROFS_MAGIC) {
    throw new UsageError(
      `--rootfs-image ${path}: not a ROFS image (osv mkfs rofs makes one; disk images from osv build boot with -i)`,
    );
  }
}

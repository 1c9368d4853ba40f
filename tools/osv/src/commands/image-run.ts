// `osv run -i IMAGE`: the VMM's firmware reads the image's boot partition (kernel identity,
// default command line, bootfs), starts the vCPU with the kernel that identity names, composed
// from the installed packages (never the bundle bytes stored in the image), and attaches the image as
// virtio-blk (vblk0; its partitions are vblk0.0 boot and vblk0.1 file system). `-e` replaces
// the image's command line, as with OSv's run.py.
import { randomFillSync } from 'node:crypto';
import { BootFlag } from '@osv-ts/kernel-api';
import { Machine, formatMemorySize, loadBootImage, maxCommandLineBytes, type VcpuWorker } from '@osv-ts/vmm';
import { ROFS_MAGIC } from '@osv-ts/vfs/rofs-writer';
import { VirtioBlkDevice, VirtioNetDevice, VirtioRngDevice, type DeviceModel } from '@osv-ts/drivers-virtio';

/** The guest's MAC address (the one OSv's scripts/firecracker.py gives its guests). */
const GUEST_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
import { CliError, UsageError, describeSystemError } from '../cli-error.js';
import { checkOutputPath } from '../image/host-files.js';
import { composeImageKernel } from '../linker/image-kernel.js';
import { fileSystemTypes, loadCatalog } from '../linker/module-catalog.js';
import { buildCommandLine, inspectPort, parseRunOptions } from './run-options.js';
import { openDisks } from './disks.js';
import { checkShare, openShares } from './share-devices.js';
import { planNetwork, startNetwork, type HostNet } from './net-backend.js';
import { printDeviceCounters, reportMachineError, runInForeground, writeTrace } from './foreground-machine.js';
import { hostConsoles } from './host-output.js';
import { apiForwardRule } from './api-option.js';
import { checkCommandLine } from './osv-cmdline.js';

export async function runImage(image: string, argv: readonly string[], vcpu?: VcpuWorker): Promise<number> {
  let loaded;
  try {
    loaded = loadBootImage(image);
  } catch (e) {
    throw new CliError(`cannot boot ${image}: ${describeSystemError(e)}`);
  }
  // The image's command line is the default; a later -e in argv replaces it.
  const o = parseRunOptions(['-e', loaded.cmdline, ...argv]);
  if (o.app !== undefined)
    throw new UsageError('osv run -i: the app comes from the image; give a command line with -e instead');
  if (o.files.length > 0)
    throw new UsageError('osv run -i: --file needs a bare .wasm run; put files into the image with --manifest');
  if (o.manifests.length > 0)
    throw new UsageError('osv run -i: the files come from the image; osv build --manifest puts them there');
  if (o.rootfsImage !== undefined) throw new UsageError('osv run -i: the root file system is the image itself');
  if (o.profile !== undefined)
    throw new UsageError('osv run -i: the image was linked for its profile when it was built (osv build --profile P)');
  // The image's kernel has what it was built with; the command line is checked against every
  // file system osv-ts has, and the kernel refuses an option it cannot honour.
  const deviceCount = 4 + o.disks.length + o.shares.length + (o.networking ? 1 : 0);
  o.shares.forEach(checkShare);
  const cmdline = buildCommandLine(o, undefined);
  const fromUser = argv.some((a) => a === '-e' || a === '--execute' || a.startsWith('--execute='));
  const checked = checkCommandLine(
    cmdline,
    { name: fromUser ? '-e' : `the command line of ${image}`, maxBytes: maxCommandLineBytes(deviceCount) },
    fileSystemTypes(loadCatalog()),
  );
  if (o.traceOut !== undefined) {
    if (checked.options.trace.length === 0)
      throw new UsageError('--trace-out needs tracepoints to record: give --trace PATTERN');
    checkOutputPath(o.traceOut, '--trace-out');
  }

  if (o.apiToken !== undefined || o.apiCert !== undefined)
    throw new UsageError('osv run -i: --api-token and --api-cert are for osv run APP (not yet for images)');
  const netPlan = planNetwork(o.api ? { ...o, forwards: [...o.forwards, apiForwardRule(o.api)] } : o);
  // The kernel is composed from the installed packages as the image's identity names it; the
  // bundle stored in the image is compared, never run (linker/image-kernel.ts).
  const { bundle, identity } = await composeImageKernel(image, loaded);
  if (o.shares.length > 0 && !identity.modules.includes('virtio-fs'))
    throw new UsageError(`osv run -i ${image} --share: the image's kernel has no virtio-fs; build it with --virtio-fs`);
  if (bundle.hardenedRealm) vcpu?.harden();
  // --api forwards the host port to the server the image's kernel has (osv build --api).
  if (o.api && !identity.modules.some((m) => m === 'httpserver-api' || m === 'httpserver-monitoring-api'))
    throw new UsageError(
      `osv run -i ${image} --api: its kernel has no httpserver-api module (build it with osv build --api)`,
    );
  const consoles = hostConsoles();
  const consoleOut = consoles.stdout;
  const consoleErr = consoles.stderr;
  // A ROFS image is never written: open it read-only, so that VMs can boot it side by side.
  const rofs =
    loaded.fsPartitionHead.length >= 8 &&
    new DataView(loaded.fsPartitionHead.buffer).getBigUint64(0, true) === ROFS_MAGIC;
  const opened = openDisks([{ path: image, readOnly: rofs, shareWrite: false, option: '-i' }, ...o.disks]);
  const disk = opened[0]!;
  const extra = opened.slice(1);
  const devices: DeviceModel[] = [
    consoleOut,
    consoleErr,
    new VirtioBlkDevice('vblk0', disk.backend, { serial: 'osv-ts-vblk0' }),
    ...extra.map((d, i) => new VirtioBlkDevice(`vblk${i + 1}`, d.backend, { serial: `osv-ts-vblk${i + 1}` })),
    new VirtioRngDevice('rng0', { fill: (b) => void randomFillSync(b) }),
  ];
  // --share: virtiofs0.. (the command line mounts them; the image's kernel needs virtio-fs).
  const shares = openShares(o.shares);
  devices.push(...shares.devices);
  const closeDisks = (): void => {
    [disk, ...extra].forEach((d) => d.backend.close?.());
    shares.close();
  };
  // -n: eth0 through passt or a TAP device. The image's kernel needs the netstack (osv build links it for an
  // app that imports sockets, or with osv build -n); a kernel without it ignores the device.
  let hostNet: HostNet | undefined;
  if (!o.dryRun) {
    try {
      hostNet = await startNetwork(netPlan);
    } catch (e) {
      closeDisks();
      throw e;
    }
    if (hostNet) devices.push(new VirtioNetDevice('eth0', hostNet, { mac: GUEST_MAC }));
  }
  const stdinConnected = !o.dryRun;
  const flags =
    (process.stdin.isTTY ? BootFlag.STDIN_TTY : 0) |
    (process.stdout.isTTY ? BootFlag.STDOUT_TTY : 0) |
    (process.stderr.isTTY ? BootFlag.STDERR_TTY : 0) |
    (stdinConnected ? BootFlag.STDIN_CONNECTED : 0);
  const machine = new Machine({
    memBytes: o.memBytes,
    cmdline,
    kernelPath: bundle.path,
    hardenedRealm: bundle.hardenedRealm,
    codeCachePath: bundle.codeCachePath,
    devices,
    bootfs: loaded.bootfs,
    bootFlags: flags,
    inspect: o.debug,
    inspectPort: inspectPort(),
    vcpu,
  });
  if (o.verbose || o.dryRun) {
    const parts = loaded.partitions.map(
      (p) => `vblk0.${p.index} type 0x${p.type.toString(16)} ${formatMemorySize(p.sizeBytes)} at ${p.startBytes}`,
    );
    process.stderr.write(
      `osv: image ${image} (${disk.format}, ${formatMemorySize(loaded.diskBytes)}): ${parts.join('; ')}\n` +
        `osv: kernel sha256:${identity.bundleSha256.slice(0, 16)} (${(loaded.kernel.length / 1024).toFixed(1)} KiB), ` +
        `composed from the installed packages as the image names it${identity.profile ? ` (profile ${identity.profile})` : ''}: ${identity.modules.join(', ')}\n` +
        `osv: machine: ${formatMemorySize(o.memBytes)} RAM, ${o.vcpus} vCPU, devices: ${devices.map((d) => d.name).join(', ')}\n` +
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
    stdinConsole: consoleOut,
    cleanup: () => {
      hostNet?.close();
      closeDisks();
    },
  });
  reportMachineError(exit, o.verbose);
  if (o.traceOut) writeTrace(machine, o.traceOut);
  if (o.verbose) printDeviceCounters(machine, exit.status);
  return consoles.finish(exit.status);
}

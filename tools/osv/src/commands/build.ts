// `osv build`: compose a kernel for the app, and write a partitioned disk image (OSv's
// scripts/build + imgedit.py): MBR, boot partition (kernel bundle, default command line,
// bootfs), and a ROFS or ZFS partition built from a usr.manifest. Prints the modules it selected and
// the kernel's size.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseWasmModule } from '@osv-ts/elf-linker';
import { formatMemorySize, maxCommandLineBytes, writeBootRecord } from '@osv-ts/vmm';
import { toRofsTree, type ImageDir } from '@osv-ts/vfs/manifest';
import { bootfsEntriesFromTree, writeBootfs, type BootfsEntry } from '@osv-ts/vfs/bootfs';
import { writeRofs } from '@osv-ts/vfs/rofs-writer';
import { MAX_DISK_BYTES, planDisk, writeDiskImage, type ImageFormat } from '../image/disk-image-writer.js';
import { checkOutputPath, readRegularFile, writeAtomically } from '../image/host-files.js';
import { nodeHostFs } from '../image/node-host-fs.js';
import { readManifest, writingFrom } from '../image/manifest-files.js';
import { progressBar } from '../image/progress-bar.js';
import { checkPoolSize, parseCompression, writeZfsImage } from '../image/zfs-image.js';
import { NeedList, appNeeds } from '../linker/app-needs.js';
import { loadProfile } from '../linker/profile.js';
import { buildSite } from './build-site.js';
import { composeKernel, rememberComposedKernel } from '../linker/kernel-bundle.js';
import { encodeKernelIdentity, identifyKernel } from '../linker/kernel-identity.js';
import { fileSystemTypes, loadCatalog } from '../linker/module-catalog.js';
import { selectModules } from '../linker/select-modules.js';
import { apiProgramIn } from './api-option.js';
import { UsageError } from '../cli-error.js';
import { optionWords } from './option-words.js';
import { capabilitiesForOptions, checkCommandLine } from './osv-cmdline.js';
import { memorySize } from './run-options.js';

export const BUILD_USAGE = `usage: osv build [APP.wasm] [options] -o IMAGE
       osv build APP.wasm --profile vm-browser -o DIR
       osv build -i IMAGE --profile vm-browser -o DIR

Writes a bootable, partitioned disk image: MBR, a boot partition with the composed kernel,
its default command line and a bootfs, and a file-system partition (MBR entry 1, vblk0.1).
With a vm-browser profile it writes a static site instead (index.html, kernel.mjs, vmm.js,
bootfs.bin, osv.json) that boots the app in a web page; osv serve DIR serves it. With -i, the
site boots a disk image osv build wrote (raw) as its virtio-blk disk, as osv run -i does.

options:
      --app APP.wasm        the application (put at /APP.wasm; its imports select the modules);
                            also accepted as the one positional argument
      --manifest FILE       OSv usr.manifest (GUEST: HOST lines); HOST paths relative to FILE's
                            directory
      --fs rofs|zfs|ramfs   file system of the image (default rofs). zfs: pool 'osv' with the
                            files in dataset osv/zfs, mounted read-write as / (OSv's layout);
                            ramfs puts the files into the boot partition's bootfs instead
  -o, --output IMAGE        image file to write
  -i, --image IMAGE         vm-browser: the site boots this raw image (its kernel, command line
                            and disk), which osv build wrote; the page takes ?disk=URL too
      --format raw|qcow2    image format (default raw)
      --kernel-cmdline CMD  default command line (default: /APP.wasm)
      --fs-size SIZE        minimum size of the fs partition, e.g. 64M (zfs: the pool's size;
                            default the files plus room to write, at least 64M)
      --compression ALG     zfs: off, lzjb (default), zle, gzip-N
      --profile P           hypervisor profile the kernel is linked for (default vm-node;
                            osv profiles lists them; or a profile file's path)
  -n, --networking          link the network stack and virtio-net even if the app imports no
                            sockets (apps that do get them anyway)
      --api                 link OSv's REST API (httpserver-api): it serves guest port 8000 from
                            boot (osv run -i IMAGE --api forwards a host port to it); a
                            --kernel-cmdline naming /libhttpserver-api.so links it too
      --api-monitoring      the same, read-only (httpserver-monitoring-api: GET routes only)
      --virtio-fs           link virtio-fs and the virtiofs file system, so that
                            osv run -i IMAGE --share HOSTDIR:/guest can mount host directories
  -V, --verbose             print the stack of an internal error
  -h, --help                this text

The image is written to a temporary file beside IMAGE and renamed into place when complete:
an interrupted or failed build leaves no partial image.
`;

export interface BuildOptions {
  app?: string;
  manifest?: string;
  /** vm-browser: the disk image the site boots. */
  image?: string;
  fs: 'rofs' | 'zfs' | 'ramfs';
  compression: number;
  output?: string;
  format: ImageFormat;
  cmdline?: string;
  fsSizeBytes: number;
  networking: boolean;
  /** --api / --api-monitoring: the management API module linked into the image's kernel. */
  api?: 'httpserver-api' | 'httpserver-monitoring-api';
  /** Link virtio-fs (osv run -i IMAGE --share). */
  virtioFs: boolean;
  profile: string;
  help: boolean;
}

export function parseBuildOptions(argv: readonly string[]): BuildOptions {
  const o: BuildOptions = {
    fs: 'rofs',
    compression: parseCompression('lzjb'),
    format: 'raw',
    fsSizeBytes: 0,
    networking: false,
    virtioFs: false,
    profile: 'vm-node',
    help: false,
  };
  for (const { arg, word, value } of optionWords(argv)) {
    switch (arg) {
      case '--app':
        o.app = value();
        break;
      case '--manifest':
      case '-m':
        o.manifest = value();
        break;
      case '--fs': {
        const v = value();
        if (v !== 'rofs' && v !== 'zfs' && v !== 'ramfs')
          throw new UsageError(`--fs ${v}: supported are rofs, zfs and ramfs`);
        o.fs = v;
        break;
      }
      case '--compression':
        o.compression = parseCompression(value());
        break;
      case '-o':
      case '--output':
        o.output = value();
        break;
      case '-i':
      case '--image':
        o.image = value();
        break;
      case '--format': {
        const v = value();
        if (v !== 'raw' && v !== 'qcow2') throw new UsageError(`--format ${v}: supported are raw and qcow2`);
        o.format = v;
        break;
      }
      case '--kernel-cmdline':
        o.cmdline = value();
        break;
      case '--fs-size': {
        const v = value();
        const m = /^(\d+)([KMGT]?)$/i.exec(v);
        if (!m) throw new UsageError(`--fs-size ${v}: expected e.g. 64M`);
        o.fsSizeBytes = m[2] === '' ? Number(m[1]) : memorySize('--fs-size', v);
        break;
      }
      case '-n':
      case '--networking':
        o.networking = true;
        break;
      case '--api':
        o.api = 'httpserver-api';
        break;
      case '--api-monitoring':
        o.api = 'httpserver-monitoring-api';
        break;
      case '--virtio-fs':
        o.virtioFs = true;
        break;
      case '--profile':
        o.profile = value();
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '-V':
      case '--verbose':
        break; // read by cli.ts: the stack of an internal error
      default:
        // `osv build APP.wasm …`: the app may also be given as the one positional argument.
        if (arg.startsWith('-') || o.app !== undefined)
          throw new UsageError(`unknown option '${word}' (osv build --help lists the options)`);
        o.app = arg;
    }
  }
  if (!o.help) {
    if (o.output === undefined) throw new UsageError('osv build needs -o IMAGE');
    if (o.image !== undefined && (o.app !== undefined || o.manifest !== undefined))
      throw new UsageError('osv build -i: the app and its files come from the image; leave out --app and --manifest');
    if (o.app === undefined && o.manifest === undefined && o.image === undefined)
      throw new UsageError('osv build needs --app or --manifest');
  }
  return o;
}

/** What a build wrote (also what `build()` of @osv-ts/osv returns). */
export interface BuildResult {
  /** The image file, or the site's directory. */
  readonly output: string;
  readonly kind: 'image' | 'site';
  /** The kernel modules linked, in initialisation order. */
  readonly modules: readonly string[];
  /** The kernel bundle's content hash (as osv build prints it). */
  readonly kernelHash: string;
  readonly kernelBytes: number;
  /** An image's size in bytes (its virtual size for qcow2). */
  readonly imageBytes?: number;
  /** An image's default command line. */
  readonly cmdline?: string;
  /** Capabilities the app asked for that the profile cannot give (those calls return ENOSYS). */
  readonly unavailable?: readonly string[];
  /** A site's files. */
  readonly files?: readonly string[];
}

/** run-time devices of an image: console0, console1, vblk0, rng0 (and eth0 with osv run -n). */
const IMAGE_DEVICES = 4;

export async function buildCommand(
  argv: readonly string[],
  log: (s: string) => void = (s) => void process.stderr.write(s),
): Promise<number> {
  const o = parseBuildOptions(argv);
  if (o.help) {
    process.stdout.write(BUILD_USAGE);
    return 0;
  }
  await buildImage(o, log);
  return 0;
}

/** Builds what `o` asks for (parsed and checked by parseBuildOptions); `log` gets the report. */
export async function buildImage(o: BuildOptions, log: (s: string) => void): Promise<BuildResult> {
  // 1. What the user asked for, checked before any work: the output path and the command line
  // the image will boot with (osv run -i adds its device tokens in front of it).
  const profile = loadProfile(o.profile);
  if (profile.target === 'vm-browser') return buildSite(o, profile, log);
  if (o.image !== undefined)
    throw new UsageError(
      `osv build -i ${o.image}: a disk image boots as it is (osv run -i); -i builds a --profile vm-browser site`,
    );
  checkOutputPath(o.output!, '-o');
  if (o.fsSizeBytes > MAX_DISK_BYTES - 16 * 1024 * 1024)
    throw new UsageError(
      `--fs-size ${formatMemorySize(o.fsSizeBytes)}: an MBR disk ends at ${formatMemorySize(MAX_DISK_BYTES)}`,
    );
  if (o.fs === 'zfs' && o.fsSizeBytes > 0) checkPoolSize(o.fsSizeBytes, `--fs-size ${formatMemorySize(o.fsSizeBytes)}`);
  const catalog = loadCatalog();
  if (profile.target !== 'vm-node')
    throw new UsageError(
      `--profile ${o.profile}: osv build writes disk images for target vm-node, not ${profile.target}`,
    );
  const appName = o.app === undefined ? undefined : basename(o.app);
  const cmdline = o.cmdline ?? (appName ? `/${appName}` : '');
  const checked = checkCommandLine(
    cmdline,
    {
      name: o.cmdline !== undefined ? '--kernel-cmdline' : 'command line',
      maxBytes: maxCommandLineBytes(IMAGE_DEVICES + 1),
    },
    fileSystemTypes(catalog),
  );

  // 2. The files: the manifest's tree, plus the app at /NAME.wasm.
  let tree: ImageDir = { kind: 'dir', children: new Map() };
  if (o.manifest !== undefined) tree = toRofsTree(readManifest(o.manifest), nodeHostFs);
  const needs = new NeedList().addAll(capabilitiesForOptions(checked.options));
  const bootfs: BootfsEntry[] = [];
  // ramfs images carry every file in the boot partition's bootfs; rofs images in vblk0.1, which
  // the kernel mounts as its root.
  if (o.app !== undefined && appName !== undefined) {
    const data = readRegularFile(o.app, '--app');
    if (tree.children.get(appName)?.kind === 'dir')
      throw new UsageError(`--app ${o.app}: the manifest makes /${appName} a directory`);
    tree.children.set(appName, { kind: 'file', data });
    try {
      needs.addAll(appNeeds(parseWasmModule(data)).needs);
    } catch (e) {
      throw new UsageError(`${o.app} is not a WebAssembly module osv can load: ${(e as Error).message}`);
    }
  }
  // The manifest's files are read as the writers reach them: one that vanished or became a
  // symlink since the plan names its manifest line.
  const fromManifest = <T>(write: () => T): T => (o.manifest === undefined ? write() : writingFrom(o.manifest, write));
  if (o.fs === 'ramfs') bootfs.push(...fromManifest(() => bootfsEntriesFromTree(tree)));
  else {
    // Mount points the kernel needs on a disk root (OSv's images carry them too): a read-only
    // root cannot grow them at boot.
    for (const d of ['dev', 'proc', 'tmp'])
      if (!tree.children.has(d)) tree.children.set(d, { kind: 'dir', children: new Map() });
  }

  // 3. The kernel: modules for the app's needs plus the disk the image itself is.
  // An image boots with virtio-rng attached (osv run -i): its driver feeds /dev/random and
  // random_get with the host's CSPRNG, as on OSv.
  needs.add('console', 'every app has stdin/stdout/stderr');
  needs.add('blockdev', 'the image is a disk');
  if (o.fs !== 'ramfs') needs.add(`fs:${o.fs}`, `--fs ${o.fs}`);
  needs.add('hwrng', 'an image boots with virtio-rng attached', true);
  if (o.networking) needs.add('netstack', '--networking');
  if (o.virtioFs) needs.add('fs:virtiofs', '--virtio-fs');
  const apiProgram = apiProgramIn(cmdline);
  if (o.api !== undefined || apiProgram !== undefined) {
    const why =
      o.api !== undefined
        ? o.api === 'httpserver-api'
          ? '--api'
          : '--api-monitoring'
        : `${apiProgram} in --kernel-cmdline`;
    needs.add('httpserver-api', why);
    needs.add('vfs', `${why}: the file and fs routes`);
  }
  const selection = selectModules(catalog, profile, needs.list(), o.api !== undefined ? { prefer: [o.api] } : {});
  const kernel = await composeKernel(selection.modules, 'vm-node');
  const kernelBytes = readFileSync(kernel.path);
  // The report is printed once the image is written: a build that fails says only why.
  let report = `osv build: modules: ${kernel.modules.join(', ')}\n`;
  if (selection.unavailable.length)
    report += `osv build: not linked (calls return ENOSYS): ${selection.unavailable.map((n) => n.capability).join(', ')}\n`;
  // The identity is what osv run -i composes the kernel from; the stored bundle is never run.
  const identity = identifyKernel('vm-node', kernel.modules, kernelBytes, profile.name);
  rememberComposedKernel(kernel.path, identity.bundleSha256);
  const kernelHash = identity.bundleSha256.slice(0, 16);
  report += `osv build: kernel ${kernelHash}: ${(kernelBytes.length / 1024).toFixed(1)} KiB\n`;

  // 4. The partitions and the image.
  const kernelIdentity = encodeKernelIdentity(identity);
  const record = writeBootRecord({ kernel: kernelBytes, cmdline, bootfs: writeBootfs(bootfs), kernelIdentity });
  const fs = fromManifest(() =>
    o.fs === 'rofs'
      ? writeRofs(tree).image
      : o.fs === 'zfs'
        ? writeZfsImage(tree, {
            pool: 'osv',
            dataset: 'zfs',
            sizeBytes: o.fsSizeBytes,
            ashift: 12,
            compression: o.compression,
            path: '/dev/vblk0.1',
            sizeOption: o.fsSizeBytes ? `--fs-size ${formatMemorySize(o.fsSizeBytes)}` : 'the pool',
          })
        : new Uint8Array(0),
  );
  const planned = planDisk(record.length, fs.length, o.fsSizeBytes);
  if (planned.totalBytes > MAX_DISK_BYTES)
    throw new UsageError(
      `--fs-size ${formatMemorySize(o.fsSizeBytes)}: the image would be ${formatMemorySize(planned.totalBytes)}; an MBR disk ends at ${formatMemorySize(MAX_DISK_BYTES)}`,
    );
  const big = record.length + fs.length > 16 * 1024 * 1024;
  const layout = await writeAtomically(o.output!, '-o', (temp) =>
    writeDiskImage(
      temp,
      record,
      fs,
      { format: o.format, onProgress: big ? progressBar(`osv build: writing ${basename(o.output!)}`) : undefined },
      o.fsSizeBytes,
    ),
  );
  log(
    report +
      `osv build: ${o.output} (${o.format}, ${formatMemorySize(layout.totalBytes)}): boot partition ${formatMemorySize(layout.boot.sizeBytes)}` +
      (layout.fs
        ? `, ${o.fs} partition vblk0.1 ${formatMemorySize(layout.fs.sizeBytes)}${o.fs === 'rofs' ? ` (${fs.length} bytes used)` : ` (pool osv, root dataset osv/zfs)`}`
        : '') +
      `\nosv build: command line: ${cmdline || '(empty)'}\n`,
  );
  return {
    output: o.output!,
    kind: 'image',
    modules: kernel.modules,
    kernelHash,
    kernelBytes: kernelBytes.length,
    imageBytes: layout.totalBytes,
    cmdline,
    unavailable: selection.unavailable.map((n) => n.capability),
  };
}

// `osv run` options, named as OSv's scripts/run.py names them where they make sense here.
// Options come first; the first non-option is the app (a .wasm file), and every word after it
// is an argument of the app, passed through untouched.
import { MAX_GUEST_RAM_BYTES, MemorySizeError, formatMemorySize, parseMemorySize } from '@osv-ts/vmm';
import { UsageError } from '../cli-error.js';
import { parseApiOption, type ApiOption } from './api-option.js';

export interface DiskSpec {
  readonly path: string;
  /** `,ro`: the guest gets a read-only disk; refused beside a writer unless both share writes. */
  readonly readOnly: boolean;
  /** `,share-rw`: let other VMs write it meanwhile (QEMU's share-rw=on: the guest must cope). */
  readonly shareWrite: boolean;
}

/** `IMAGE[,ro][,share-rw]` (options in any order at the end). */
export function parseDiskSpec(text: string): DiskSpec {
  let path = text;
  let readOnly = false;
  let shareWrite = false;
  for (let m = /,(ro|share-rw)$/.exec(path); m; m = /,(ro|share-rw)$/.exec(path)) {
    if (m[1] === 'ro') readOnly = true;
    else shareWrite = true;
    path = path.slice(0, m.index);
  }
  if (path === '') throw new UsageError(`--disk ${text}: no image path`);
  return { path, readOnly, shareWrite };
}

/** `--share HOSTDIR:/guest[:ro]`: a host directory mounted in the guest over virtio-fs. */
export interface ShareSpec {
  readonly hostDir: string;
  readonly guestPath: string;
  readonly readOnly: boolean;
}

export function parseShareSpec(text: string): ShareSpec {
  let rest = text;
  let readOnly = false;
  if (rest.endsWith(':ro')) {
    readOnly = true;
    rest = rest.slice(0, -3);
  }
  const colon = rest.lastIndexOf(':/');
  const hostDir = colon > 0 ? rest.slice(0, colon) : '';
  const guestPath = colon > 0 ? rest.slice(colon + 1) : '';
  if (hostDir === '' || guestPath === '' || /[\s,]/.test(guestPath))
    throw new UsageError(`--share expects HOSTDIR:/guest/path[:ro], got '${text}'`);
  return { hostDir, guestPath, readOnly };
}

export interface RunOptions {
  memBytes: number;
  vcpus: number;
  execute?: string;
  verbose: boolean;
  debug: boolean;
  dryRun: boolean;
  bootchart: boolean;
  trace: string[];
  mountFs: string[];
  ip: string[];
  app?: string;
  appArgs: string[];
  /** Extra files for the boot file system: guest path → host path (`--file /g=host`). */
  files: { guestPath: string; hostPath: string }[];
  /** -n: user-mode networking through passt (DHCP, NAT, port forwarding). */
  networking: boolean;
  /** -v (run.py's --vhost): with -n, eth0 on a TAP device instead of passt. */
  vhost: boolean;
  /** --tap NAME: with -n, eth0 on the TAP device NAME (created when missing). */
  tap?: string;
  /** --forward tcp:HOST:GUEST rules (run.py's hostfwd), for passt. */
  forwards: string[];
  /** --tcplisten ADDR:PORT: listening sockets handed to the app as fds (wasmtime's name). */
  tcplisten: string[];
  /** Write the guest's trace ring as Chrome trace-event JSON here at exit. */
  traceOut?: string;
  /** usr.manifest files whose entries go into the boot file system (a ramfs root). */
  manifests: string[];
  /** --disk IMAGE[,ro][,share-rw]: raw or qcow2 images attached as further virtio-blk disks (repeatable). */
  disks: DiskSpec[];
  /** --rootfs-image IMG: a bare ROFS image (osv mkfs rofs) attached as vblk0 and mounted as /. */
  rootfsImage?: string;
  /** --share HOSTDIR:/guest[:ro]: host directories over virtio-fs (repeatable). */
  shares: ShareSpec[];
  /** --profile P: the hypervisor profile the machine follows (osv profiles; default vm-node). */
  profile?: string;
  /** --api[=[HOST:]PORT] / --api-monitoring: OSv's REST API, forwarded from the host. */
  api?: ApiOption;
  /** --api-token FILE, --api-cert FILE, --api-key FILE: checked and terminated on the host. */
  apiToken?: string;
  apiCert?: string;
  apiKey?: string;
  help: boolean;
}

export const RUN_USAGE = `usage: osv run [options] [app.wasm | app.mjs [args...]]

Boots a microVM running app.wasm (argv = [app.wasm, args...]), or the OSv command line given
with -e. The app's exit status becomes osv's exit status. A JS app (.mjs/.js/.ts, also with
--file /x.mjs=host.mjs) is linked for the guest: export default function main(argv, env, libc).

options:
  -e, --execute CMDLINE  the whole OSv command line (loader options + app command line),
                         e.g. -e '--bootchart /hello.wasm'
  -m, --memsize SIZE     guest RAM, e.g. 64M, 256M, 1G (default 64M)
  -c, --vcpus N          number of vCPUs (1; SMP is not built yet)
  -V, --verbose          print the composed kernel, boot time and device counters (and
                         the stack of an internal error)
      --bootchart        prepend --bootchart to the command line
      --trace NAME       prepend --trace=NAME (repeatable): enable tracepoints matching NAME
  -n, --networking       networking: user-mode through passt (DHCP, outbound NAT, --forward),
                         or a TAP device with -v / --tap
      --api[=[HOST:]PORT]
                         serve OSv's REST API (httpserver-api) on guest port 8000, started
                         before the app; turns on -n and forwards HOST:PORT (default
                         127.0.0.1:8000) to it
      --api-monitoring[=[HOST:]PORT]
                         the same, read-only (OSv's httpserver-monitoring-api: GET routes only)
      --api-token FILE   answer 401 to requests without "Authorization: Bearer TOKEN" (the
                         token is FILE's first line; checked on the host, never in the guest)
      --api-cert FILE, --api-key FILE
                         serve the API over https with this PEM certificate and key (TLS ends
                         on the host; the guest serves plain HTTP behind it)
      --forward RULE     forward a host port to the guest: tcp:8080:80 (repeatable; needs -n)
  -v, --vhost            with -n: eth0 on a TAP device (tap0, tap1, … created for the run) instead
                         of passt; needs CAP_NET_ADMIN. The host side configures the TAP
  -t, --tap NAME         with -n: eth0 on TAP device NAME, attached to if it exists (as run.py's
                         --tap), else created for the run and removed at exit
      --tcplisten A:P    listen on A:P in the guest and hand the socket to the app as fd 3, 4, …
      --trace-out FILE   at exit, write the guest's trace as Chrome trace-event JSON (Perfetto)
      --mount-fs X       prepend --mount-fs=X (repeatable)
      --ip X             prepend --ip=X (repeatable)
      --manifest FILE    add the files of a usr.manifest (OSv syntax) to the root ramfs
      --file G=HOST      put host file HOST into the boot file system at guest path G
      --rootfs-image IMG mount IMG (osv mkfs rofs) read-only as / through virtio-blk, with a
                         ramfs on /tmp; the app comes from the image (-e '/app.wasm …')
      --disk IMAGE[,ro][,share-rw]
                         attach IMAGE (raw or qcow2) as the next virtio-blk disk, vblk0, vblk1, …
                         (repeatable; ZFS pools on them mount with --mount-fs=zfs,POOL/DS,/dir).
                         Locked as QEMU locks images: a second VM (or QEMU) is refused while one
                         writes it. ,ro: a read-only disk (refused beside a writer too, as in
                         QEMU); ,share-rw: let others write it meanwhile (QEMU's share-rw=on)
      --share HOSTDIR:/guest[:ro]
                         mount host directory HOSTDIR at /guest over virtio-fs (virtiofs0,
                         virtiofs1, … as --mount-fs=virtiofs,/dev/virtiofsN,/guest); confined to
                         HOSTDIR; :ro refuses writes with EROFS (repeatable)
  -d, --debug            start the vCPU worker under the inspector on 127.0.0.1:9229
                         (OSV_INSPECT_PORT), paused before the kernel's first line
      --profile P        the hypervisor profile to follow (default vm-node; osv profiles lists
                         them, or a profile file's path): the kernel is linked for it and the
                         machine attaches only its devices (vm-node-minimal: a console only)
      --dry-run          print the machine it would start, and exit
  -h, --help             this text
`;

export function parseRunOptions(argv: readonly string[]): RunOptions {
  const o: RunOptions = {
    memBytes: 64 * 1024 * 1024,
    vcpus: 1,
    verbose: false,
    debug: false,
    dryRun: false,
    bootchart: false,
    trace: [],
    mountFs: [],
    ip: [],
    appArgs: [],
    files: [],
    manifests: [],
    disks: [],
    shares: [],
    help: false,
    networking: false,
    vhost: false,
    forwards: [],
    tcplisten: [],
  };
  let i = 0;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`option ${name} needs a value`);
    return v;
  };
  while (i < argv.length) {
    let arg = argv[i]!;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.includes('=')) {
      inline = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    const take = (name: string): string => (inline !== undefined ? inline : value(name));
    if (!arg.startsWith('-') || arg === '-') {
      o.app = argv[i]!;
      o.appArgs = argv.slice(i + 1);
      break;
    }
    switch (arg) {
      case '-e':
      case '--execute':
        o.execute = take(arg);
        break;
      case '-m':
      case '--memsize': {
        const v = take(arg);
        o.memBytes = memorySize(arg, v);
        if (o.memBytes > MAX_GUEST_RAM_BYTES)
          throw new UsageError(
            `${arg} ${v}: the largest guest RAM is ${formatMemorySize(MAX_GUEST_RAM_BYTES)} (guest physical addresses are 32 bits)`,
          );
        break;
      }
      case '-c':
      case '--vcpus': {
        const v = take(arg);
        if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`invalid vCPU count '${v}'`);
        o.vcpus = Number(v);
        if (o.vcpus > 1)
          throw new UsageError(`-c ${v}: osv-ts runs one vCPU per guest for now (SMP is designed in, not built)`);
        break;
      }
      case '-V':
      case '--verbose':
        o.verbose = true;
        break;
      case '-d':
      case '--debug':
        o.debug = true;
        break;
      case '--dry-run':
        o.dryRun = true;
        break;
      case '--profile':
        o.profile = take(arg);
        break;
      case '--bootchart':
        o.bootchart = true;
        break;
      case '--trace':
        o.trace.push(take(arg));
        break;
      case '--mount-fs':
        o.mountFs.push(take(arg));
        break;
      case '--ip':
        o.ip.push(take(arg));
        break;
      case '--file': {
        const v = take(arg);
        const eq = v.indexOf('=');
        if (eq <= 0 || !v.startsWith('/')) throw new UsageError(`--file expects /guest/path=host/path, got '${v}'`);
        o.files.push({ guestPath: v.slice(0, eq), hostPath: v.slice(eq + 1) });
        break;
      }
      case '-n':
      case '--networking':
        o.networking = true;
        break;
      case '-v':
      case '--vhost':
        o.vhost = true;
        break;
      case '-t':
      case '--tap':
        o.tap = take(arg);
        break;
      case '--forward':
        o.forwards.push(take(arg));
        break;
      case '--api':
      case '--api-monitoring':
        o.api = parseApiOption(inline, arg === '--api-monitoring');
        o.networking = true;
        break;
      case '--api-token':
        o.apiToken = take(arg);
        break;
      case '--api-cert':
        o.apiCert = take(arg);
        break;
      case '--api-key':
        o.apiKey = take(arg);
        break;
      case '--tcplisten':
        o.tcplisten.push(take(arg));
        break;
      case '--trace-out':
        o.traceOut = take(arg);
        break;
      case '--manifest':
        o.manifests.push(take(arg));
        break;
      case '--disk':
        o.disks.push(parseDiskSpec(take(arg)));
        break;
      case '--share':
        o.shares.push(parseShareSpec(take(arg)));
        break;
      case '--rootfs-image':
        o.rootfsImage = take(arg);
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new UsageError(`unknown option '${argv[i]}' (osv run --help lists the options)`);
    }
    i++;
  }
  if (!o.help && o.app === undefined && o.execute === undefined)
    throw new UsageError('nothing to run: give an app.wasm or -e CMDLINE');
  const secured =
    o.apiToken !== undefined
      ? '--api-token'
      : o.apiCert !== undefined
        ? '--api-cert'
        : o.apiKey !== undefined
          ? '--api-key'
          : undefined;
  if (secured !== undefined && !o.api) throw new UsageError(`${secured} needs --api (or --api-monitoring)`);
  if ((o.apiCert === undefined) !== (o.apiKey === undefined))
    throw new UsageError('--api-cert and --api-key go together (a certificate and its private key)');
  return o;
}

/** `parseMemorySize`, with the option named in the error. */
export function memorySize(option: string, text: string): number {
  try {
    return parseMemorySize(text);
  } catch (e) {
    if (!(e instanceof MemorySizeError)) throw e;
    throw new UsageError(`${option}: ${e.message}`);
  }
}

/** The inspector port of `osv run -d`: OSV_INSPECT_PORT, else node's default 9229. */
export function inspectPort(): number {
  const v = process.env.OSV_INSPECT_PORT;
  if (v === undefined || v === '') return 9229;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535)
    throw new UsageError(`OSV_INSPECT_PORT=${v}: not a TCP port`);
  return Number(v);
}

/** Quotes one argument for OSv's app command line so that it parses back to itself. */
export function quoteAppWord(word: string): string {
  if (word !== '' && /^[^\s;&!"\\]+$/.test(word)) return word;
  return `"${word
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/\r/g, '\\r')}"`;
}

/** The OSv command line run.py would build: prepended options, then -e or the app and its args. */
export function buildCommandLine(o: RunOptions, appGuestName: string | undefined): string {
  const prefix: string[] = [];
  if (o.verbose) prefix.push('--verbose');
  for (const t of o.trace) prefix.push(`--trace=${t}`);
  for (const m of o.mountFs) prefix.push(`--mount-fs=${m}`);
  // Pushed last-first: the prefix is reversed below, and nested shares mount outermost first.
  for (let i = o.shares.length - 1; i >= 0; i--)
    prefix.push(`--mount-fs=virtiofs,/dev/virtiofs${i},${o.shares[i]!.guestPath}`);
  for (const ip of o.ip) prefix.push(`--ip=${ip}`);
  for (const l of o.tcplisten) prefix.push(`--tcplisten=${l}`);
  if (o.rootfsImage !== undefined) prefix.push('--rootfs=rofs');
  if (o.bootchart) prefix.push('--bootchart');
  const body = o.execute ?? [appGuestName!, ...o.appArgs].map(quoteAppWord).join(' ');
  return [...prefix.reverse(), body].join(' ');
}

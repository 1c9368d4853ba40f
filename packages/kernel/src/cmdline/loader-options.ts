// OSv's loader options (loader.cc parse_options, core/options.cc grammar), as typed values.
import { CommandLineError } from './mmio-device-tokens.js';

export interface MountRequest {
  readonly fsType: string;
  readonly source: string;
  readonly path: string;
}

export interface StaticIp {
  readonly ifname: string;
  readonly address: string;
  readonly netmask: string;
}

export interface LoaderOptions {
  help: boolean;
  verbose: boolean;
  bootchart: boolean;
  noshutdown: boolean;
  nomount: boolean;
  nopivot: boolean;
  norandom: boolean;
  noinit: boolean;
  nopci: boolean;
  leak: boolean;
  disableRofsCache: boolean;
  powerOffOnAbort: boolean;
  traceBacktrace: boolean;
  traceList: boolean;
  strace: boolean;
  trace: string[];
  console?: string;
  rootfs?: string;
  mountFs: MountRequest[];
  env: string[];
  cwd?: string;
  ip: StaticIp[];
  defaultGateway?: string;
  nameserver?: string;
  redirect?: { path: string; append: boolean };
  maxnic?: number;
  sampler?: number;
  delaySeconds: number;
  /** osv-ts: TCP addresses to listen on and hand to the app as fds (wasmtime's --tcplisten). */
  tcplisten: string[];
  /** Lines the loader prints while parsing (OSv prints ignored values and such). */
  warnings: string[];
}

/**
 * The longest --delay. OSv takes any float; a pause before boot is for attaching a debugger or a
 * slow console, and a value beyond an hour is a mistake (1e9 would wait 31 years).
 */
export const MAX_DELAY_SECONDS = 3600;

/**
 * `--tcplisten` addresses: IPv4 `A.B.C.D:PORT` or IPv6 `[ADDR]:PORT`, checked here so a bad one
 * stops the boot with the option's name (libc's parseListenAddress reads the address itself).
 */
const LISTEN_ADDRESS =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

const FLAGS: Record<string, keyof LoaderOptions> = {
  help: 'help',
  verbose: 'verbose',
  bootchart: 'bootchart',
  noshutdown: 'noshutdown',
  nomount: 'nomount',
  nopivot: 'nopivot',
  norandom: 'norandom',
  noinit: 'noinit',
  nopci: 'nopci',
  leak: 'leak',
  disable_rofs_cache: 'disableRofsCache',
  'preload-zfs-library': 'help', // accepted for compatibility; ZFS is linked in, not dlopen'ed
  'extra-zfs-pools': 'help',
  'power-off-on-abort': 'powerOffOnAbort',
  'trace-backtrace': 'traceBacktrace',
  'trace-list': 'traceList',
  strace: 'strace',
};

const VALUED = new Set([
  'tcplisten',
  'maxnic',
  'sampler',
  'trace',
  'console',
  'rootfs',
  'mount-fs',
  'env',
  'cwd',
  'ip',
  'defaultgw',
  'nameserver',
  'redirect',
  'delay',
]);

export const LOADER_USAGE = `OSv options:
  --help                show help text
  --sampler=arg         start stack sampling profiler
  --trace=arg           tracepoints to enable
  --trace-backtrace     log backtraces in the tracepoint log
  --leak                start leak detector after boot
  --nomount             don't mount the root file system
  --nopivot             do not pivot the root from bootfs to the root fs
  --rootfs=arg          root filesystem to use (zfs, rofs, ramfs or virtiofs)
  --noshutdown          continue running after main() returns
  --power-off-on-abort  use poweroff instead of halt if it's aborted
  --maxnic=arg          maximum NIC number
  --norandom            don't initialize any random device
  --noinit              don't run commands from /init
  --verbose             verbose logging
  --console=arg         select console driver
  --env=arg             set Unix-like environment variable (putenv())
  --cwd=arg             set current working directory
  --bootchart           perform a test boot measuring a time distribution of
                        the various operations
  --ip=arg              set static IP on NIC
  --defaultgw=arg       set default gateway address
  --nameserver=arg      set nameserver address
  --delay=arg (=0)      delay in seconds before boot
  --redirect=arg        redirect stdout and stderr to file
  --disable_rofs_cache  disable ROFS memory cache
  --nopci               disable PCI enumeration
  --mount-fs=arg        mount extra filesystem, format:<fs_type,url,path>
  --tcplisten=arg       (osv-ts) listen on ADDR:PORT and pass the socket to the app
                        as a preopened fd, like wasmtime's --tcplisten
`;

function emptyOptions(): LoaderOptions {
  return {
    help: false,
    verbose: false,
    bootchart: false,
    noshutdown: false,
    nomount: false,
    nopivot: false,
    norandom: false,
    noinit: false,
    nopci: false,
    leak: false,
    disableRofsCache: false,
    powerOffOnAbort: false,
    traceBacktrace: false,
    traceList: false,
    strace: false,
    trace: [],
    mountFs: [],
    env: [],
    ip: [],
    delaySeconds: 0,
    warnings: [],
    tcplisten: [],
  };
}

/** Parses loader option tokens; throws CommandLineError with OSv's messages. */
export function parseLoaderOptions(tokens: readonly string[]): LoaderOptions {
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  for (const token of tokens) {
    if (!token.startsWith('--')) throw new CommandLineError(`not an option: ${token}`);
    const eq = token.indexOf('=');
    const key = eq < 0 ? token.slice(2) : token.slice(2, eq);
    if (eq < 0) {
      if (values.has(key)) throw new CommandLineError(`duplicate option: --${key}`);
      flags.add(key);
    } else {
      const value = token.slice(eq + 1);
      if (value === '') throw new CommandLineError(`the required argument for option '--${key}' is missing`);
      if (flags.has(key)) throw new CommandLineError(`duplicate option: --${key}`);
      values.set(key, [...(values.get(key) ?? []), value]);
    }
  }
  const o = emptyOptions();
  for (const key of flags) {
    if (key === 'strace' && !values.has('trace')) throw new CommandLineError(`unrecognized option: --${key}`);
    if (VALUED.has(key)) throw new CommandLineError(`the required argument for option '--${key}' is missing`);
    const field = FLAGS[key];
    if (!field) throw new CommandLineError(`unrecognized option: --${key}`);
    if (key === 'preload-zfs-library' || key === 'extra-zfs-pools') continue;
    (o[field] as boolean) = true;
  }
  const first = (key: string): string | undefined => {
    const v = values.get(key);
    if (v && v.length > 1) o.warnings.push(`Ignoring '--${key}' options after the first.`);
    return v?.[0];
  };
  for (const [key, list] of values) {
    if (FLAGS[key] !== undefined) throw new CommandLineError(`option '--${key}' does not take any arguments`);
    switch (key) {
      case 'trace':
        for (const v of list) o.trace.push(...v.split(/[ ,]+/).filter(Boolean));
        break;
      case 'console': {
        const c = first(key)!;
        if (!['serial', 'vga', 'all'].includes(c)) throw new CommandLineError(`Unknown console:${c}`);
        o.console = c;
        break;
      }
      case 'rootfs':
        o.rootfs = first(key);
        break;
      case 'cwd':
        o.cwd = first(key);
        break;
      case 'mount-fs':
        for (const v of list) {
          const parts = v.split(',');
          if (parts.length !== 3 || parts.some((p) => p === '')) {
            o.warnings.push(`Ignoring value: '${v}' for option mount-fs, expected in format: <fs_type,url,path>`);
            continue;
          }
          o.mountFs.push({ fsType: parts[0]!, source: parts[1]!, path: parts[2]! });
        }
        break;
      case 'env':
        o.env.push(...list);
        break;
      case 'tcplisten':
        for (const v of list) {
          if (!LISTEN_ADDRESS.test(v) || Number(/:(\d+)$/.exec(v)![1]) > 65535)
            throw new CommandLineError(`the argument ('${v}') for option '--tcplisten' is invalid: expected ADDR:PORT`);
          o.tcplisten.push(v);
        }
        break;
      case 'ip':
        for (const v of list) {
          const parts = v.split(/[ ,]+/).filter(Boolean);
          if (parts.length !== 3) throw new CommandLineError('incorrect parameter on --ip');
          o.ip.push({ ifname: parts[0]!, address: parts[1]!, netmask: parts[2]! });
        }
        break;
      case 'defaultgw':
        o.defaultGateway = first(key);
        break;
      case 'nameserver':
        o.nameserver = first(key);
        break;
      case 'redirect': {
        const v = first(key)!;
        o.redirect = v.startsWith('>>') ? { path: v.slice(2), append: true } : { path: v, append: false };
        break;
      }
      case 'maxnic':
        o.maxnic = parseIntStrict(key, first(key)!);
        break;
      case 'sampler':
        o.sampler = parseIntStrict(key, first(key)!);
        break;
      case 'delay': {
        const v = first(key)!;
        const f = Number(v);
        if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) || !Number.isFinite(f)) {
          throw new CommandLineError(`the argument ('${v}') for option '--${key}' is invalid`);
        }
        if (f < 0 || f > MAX_DELAY_SECONDS)
          throw new CommandLineError(
            `the argument ('${v}') for option '--${key}' is out of range: 0 to ${MAX_DELAY_SECONDS} seconds`,
          );
        o.delaySeconds = f;
        break;
      }
      default:
        throw new CommandLineError(`unrecognized option: --${key}`);
    }
  }
  return o;
}

function parseIntStrict(key: string, v: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw new CommandLineError(`the argument ('${v}') for option '--${key}' is invalid`);
  return Number(v);
}

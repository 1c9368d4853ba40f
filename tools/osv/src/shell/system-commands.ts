// The shell's system commands over the API's os, fs, network, hardware and app routes (OSv's
// modules/cli: date, df, dmesg, free, hostname, ifconfig, uptime, poweroff, reboot, run, top).
import { routePath } from './api-client.js';
import { tableFormat } from './table-format.js';
import { ShellCommandError, type ShellCommand, type ShellContext } from './shell-context.js';

const print = (ctx: ShellContext, v: unknown): void => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  ctx.out(s.endsWith('\n') ? s : `${s}\n`);
};

const simple = (name: string, desc: string, route: string): ShellCommand => ({
  name,
  desc,
  usage: `Usage: ${name}\n`,
  async run(_args, ctx) {
    print(ctx, await ctx.api.get(route));
    return 0;
  },
});

const post = (name: string, desc: string, route: string): ShellCommand => ({
  name,
  desc,
  usage: `Usage: ${name}\n`,
  async run(_args, ctx) {
    await ctx.api.call('POST', route);
    return 0;
  },
});

interface DfStat {
  filesystem: string;
  mount: string;
  btotal: number;
  bfree: number;
  blocksize: number;
}

const df: ShellCommand = {
  name: 'df',
  desc: 'report file system disk space usage',
  usage: 'Usage: df [MOUNT]...\n\nShow the file system of each mount, or of all mounts by default.\n',
  async run(args, ctx) {
    const rows: string[][] = [['Filesystem', 'Total', 'Used', 'Use%', 'Mounted on']];
    let status = 0;
    for (const mount of args.length > 0 ? args : ['']) {
      const r = await ctx.api.request('GET', `/fs/df/${mount === '' ? '' : routePath(mount).replace(/^\//, '')}`);
      if (r.status === 404) {
        ctx.err(`df: ${mount}: Mount point not found\n`);
        status = 1;
        continue;
      }
      for (const fs of r.body as DfStat[]) {
        const used = fs.btotal - fs.bfree;
        const pct = fs.btotal > 0 ? (100 * used) / fs.btotal : 0;
        rows.push([fs.filesystem, String(fs.btotal), String(used), `${pct.toFixed(2)}%`, fs.mount]);
      }
    }
    if (rows.length > 1) ctx.out(`${tableFormat(rows)}\n`);
    return status;
  },
};

const free: ShellCommand = {
  name: 'free',
  desc: 'display amount of free and used memory in system',
  usage: 'Usage: free\n\nPrint OSv memory usage.\n',
  async run(_args, ctx) {
    const total = Number(await ctx.api.get('/os/memory/total'));
    const freeBytes = Number(await ctx.api.get('/os/memory/free'));
    ctx.out(
      `${tableFormat([
        ['', 'total', 'used', 'free'],
        ['Mem:', String(total), String(total - freeBytes), String(freeBytes)],
      ])}\n`,
    );
    return 0;
  },
};

const hostname: ShellCommand = {
  name: 'hostname',
  desc: 'show or set the system host name',
  usage: 'Usage: hostname [NAME]\n',
  async run(args, ctx) {
    if (args.length > 1) throw new ShellCommandError('too many arguments', 2);
    if (args[0] !== undefined) await ctx.api.call('POST', '/os/hostname', { name: args[0] });
    else print(ctx, await ctx.api.get('/os/hostname'));
    return 0;
  },
};

/** The API's Interface model (reference §2 network), the fields ifconfig prints. */
interface Interface {
  config: {
    name: string;
    addr: string;
    mask: string;
    broadcast: string;
    flags: string;
    mtu: string;
    phys_addr: string;
  };
  data: Record<string, number>;
}

export function formatInterface(i: Interface): string {
  const c = i.config;
  const d = i.data;
  const n = (k: string): number => d[k] ?? 0;
  return (
    `${c.name}: flags=${c.flags}  mtu ${c.mtu}\n` +
    (c.addr ? `        inet ${c.addr}  netmask ${c.mask}${c.broadcast ? `  broadcast ${c.broadcast}` : ''}\n` : '') +
    (c.phys_addr ? `        ether ${c.phys_addr}\n` : '') +
    `        RX packets ${n('ifi_ipackets')}  bytes ${n('ifi_ibytes')}\n` +
    `        RX errors ${n('ifi_ierrors')}  dropped ${n('ifi_iqdrops')}\n` +
    `        TX packets ${n('ifi_opackets')}  bytes ${n('ifi_obytes')}\n` +
    `        TX errors ${n('ifi_oerrors')}  collisions ${n('ifi_collisions')}\n`
  );
}

const ifconfig: ShellCommand = {
  name: 'ifconfig',
  desc: 'show the network interfaces and their counters',
  usage: 'Usage: ifconfig [INTERFACE]\n',
  async run(args, ctx) {
    const list =
      args[0] !== undefined
        ? [(await ctx.api.get(`/network/ifconfig/${encodeURIComponent(args[0])}`)) as Interface]
        : ((await ctx.api.get('/network/ifconfig/')) as Interface[]);
    ctx.out(list.map(formatInterface).join('\n'));
    return 0;
  },
};

/** uptime's line: the guest's clock, then " up", days, and h:mm or minutes, as OSv's CLI. */
export function formatUptime(seconds: number, date: string): string {
  const days = Math.floor(seconds / 86400);
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60) % 24;
  let s = ' up';
  if (days !== 0) s += ` ${days} day${days !== 1 ? 's' : ''},`;
  s +=
    hours !== 0 ? ` ${String(hours).padStart(2)}:${String(minutes % 60).padStart(2, '0')} ` : ` ${minutes % 60} min `;
  const clock = /\d\d:\d\d:\d\d/.exec(date)?.[0] ?? date;
  return `${clock}${s}\n`;
}

const uptime: ShellCommand = {
  name: 'uptime',
  desc: 'tell how long the system has been running',
  usage: 'Usage: uptime\n\nPrint how long the system has been running.\n',
  async run(_args, ctx) {
    const seconds = Number(await ctx.api.get('/os/uptime'));
    ctx.out(formatUptime(seconds, String(await ctx.api.get('/os/date'))));
    return 0;
  },
};

const run: ShellCommand = {
  name: 'run',
  desc: 'run an executable in the background',
  usage: 'Usage: run "COMMAND ARGS..." ...\n\nStart each COMMAND (OSv command-line syntax) in the background.\n',
  async run(args, ctx) {
    if (args.length === 0) throw new ShellCommandError('missing command', 2);
    for (const command of args) {
      const ids = await ctx.api.call('PUT', '/app/', { command });
      if (ctx.tty) ctx.err(`started: ${String(ids)}\n`);
    }
    return 0;
  },
};

/** The API's Thread model (reference §2 os). */
interface Thread {
  id: number;
  cpu: number;
  cpu_ms: number;
  switches: number;
  name: string;
}

/** One screen of top: threads by CPU used since `prev`, as OSv's CLI shows them. */
export function topScreen(
  now: { list: Thread[]; time_ms: number },
  prev: { list: Thread[]; time_ms: number } | undefined,
  cpus: number,
  limit: number,
): string {
  const before = new Map(prev?.list.map((t) => [t.id, t]) ?? []);
  const spanMs = prev ? Math.max(1, now.time_ms - prev.time_ms) : 0;
  const used = (t: Thread): number => t.cpu_ms - (before.get(t.id)?.cpu_ms ?? 0);
  const rows = [...now.list].sort((a, b) => used(b) - used(a)).slice(0, Math.max(0, limit));
  const table = [['ID', 'CPU', '%CPU', 'TIME', 'NAME']];
  for (const t of rows)
    table.push([
      String(t.id),
      t.cpu === 0xffffffff ? '-' : String(t.cpu),
      (spanMs ? (100 * used(t)) / spanMs : 0).toFixed(1),
      (t.cpu_ms / 1000).toFixed(2),
      t.name,
    ]);
  return `${now.list.length} threads on ${cpus} CPUs\n${tableFormat(table)}\n`;
}

const top: ShellCommand = {
  name: 'top',
  desc: 'display OSv threads',
  usage:
    'Usage: top [-n ITERATIONS] [-p SECONDS]\n\nShow the threads by CPU use, refreshed every SECONDS (2) until Ctrl-C, or ITERATIONS times.\n',
  async run(args, ctx) {
    let iterations = Infinity;
    let periodMs = 2000;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const value = Number(args[++i]);
      if ((a === '-n' || a === '--iterations') && Number.isInteger(value) && value > 0) iterations = value;
      else if ((a === '-p' || a === '--period') && value > 0) periodMs = value * 1000;
      else throw new ShellCommandError(`bad option '${a}${args[i] !== undefined ? ` ${args[i]}` : ''}' (help top)`, 2);
    }
    const cpus = Number(await ctx.api.get('/hardware/processor/count'));
    let prev: { list: Thread[]; time_ms: number } | undefined;
    for (let n = 0; n < iterations && !ctx.interrupted(); n++) {
      if (n > 0) await ctx.sleep(periodMs);
      const now = (await ctx.api.get('/os/threads')) as { list: Thread[]; time_ms: number };
      ctx.out((ctx.tty ? '\x1b[H\x1b[2J' : '') + topScreen(now, prev, cpus, ctx.tty ? ctx.rows - 3 : now.list.length));
      prev = now;
    }
    return 0;
  },
};

export const SYSTEM_COMMANDS: readonly ShellCommand[] = [
  simple('date', 'print the system date and time', '/os/date'),
  df,
  simple('dmesg', 'print the kernel messages', '/os/dmesg'),
  free,
  hostname,
  ifconfig,
  post('poweroff', 'power off the guest', '/os/poweroff'),
  post('reboot', 'reboot the guest', '/os/reboot'),
  run,
  top,
  uptime,
];

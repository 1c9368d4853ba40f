// The `os` group (OSv api/os.cc): identity, uptime, date, memory, power, boot log, host name,
// threads, command line. Figures come from the kernel (KernelControl) and core-sched.
import { NS_PER_MS, NS_PER_S } from '@osv-ts/kernel-api';
import { badParam, serverError } from '../http/http-error.js';
import { json, required, type Route } from '../route.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** strftime("%a %b %d %H:%M:%S %Z %Y") of a UTC time (the guest's local time zone is UTC). */
export function formatOsDate(epochMs: number): string {
  const d = new Date(epochMs);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${time} UTC ${d.getUTCFullYear()}`;
}

/** core-sched's thread states in OSv's words (sched.hh thread::status). */
const STATUS = { runnable: 'queued', running: 'running', waiting: 'waiting', dead: 'terminated' } as const;

/** OSv's cmdline limit: it is stored in a 1024-byte area on the boot disk (api/os.cc). */
const MAX_CMDLINE = 1024;

const power = (nickname: string, path: string, summary: string): Route => ({
  group: 'os',
  method: 'POST',
  path,
  nickname,
  summary,
  type: 'void',
  mutates: true,
  handle: (ctx) => {
    ctx.after(() => ctx.guest.control.powerOff());
    return json('');
  },
});

export const osRoutes: readonly Route[] = [
  {
    group: 'os',
    method: 'GET',
    path: '/os/name',
    nickname: 'os_name',
    summary: 'Returns name of the operating system',
    type: 'string',
    handle: () => json('OSv'),
  },
  {
    group: 'os',
    method: 'GET',
    path: '/os/version',
    nickname: 'os_version',
    summary: 'Returns the OS version',
    type: 'string',
    handle: (ctx) => json(`osv-ts v${ctx.guest.control.version}`),
  },
  {
    group: 'os',
    method: 'GET',
    path: '/os/vendor',
    nickname: 'os_vendor',
    summary: 'Returns the OS vendor',
    type: 'string',
    handle: () => json('Cloudius Systems'),
  },
  {
    group: 'os',
    method: 'GET',
    path: '/os/uptime',
    nickname: 'os_uptime',
    summary: 'Returns the number of seconds since the system was booted',
    type: 'long',
    handle: (ctx) => json(Math.floor(ctx.guest.clock.monotonicNs() / NS_PER_S)),
  },
  {
    group: 'os',
    method: 'GET',
    path: '/os/date',
    nickname: 'os_date',
    summary: 'Returns the current date and time',
    type: 'string',
    handle: (ctx) => json(formatOsDate(Number(ctx.guest.clock.realtimeNs() / BigInt(NS_PER_MS)))),
  },
  {
    group: 'os',
    method: 'GET',
    path: '/os/memory/total',
    nickname: 'os_memory_total',
    summary: 'Returns total amount of memory usable by the system (in bytes)',
    type: 'long',
    handle: (ctx) => json(ctx.guest.control.memory().totalBytes),
  },
  {
    group: 'os',
    method: 'GET',
    path: '/os/memory/free',
    nickname: 'os_memory_free',
    summary: 'Returns the amount of free memory in the system (in bytes)',
    type: 'long',
    handle: (ctx) => json(ctx.guest.control.memory().freeBytes),
  },
  {
    group: 'os',
    method: 'GET',
    path: '/os/memory/balloon',
    nickname: 'os_memory_balloon',
    summary: 'Returns the JVM balloon size (in bytes)',
    type: 'long',
    // OSv's balloon is the JVM balloon (memory::get_balloon_size): memory a JVM's heap gives
    // back to the kernel. A guest without a JVM has none, and OSv answers 0 then; so do we.
    handle: () => json(0),
  },
  power('os_poweroff', '/os/poweroff', 'Power off the system'),
  power('os_shutdown', '/os/shutdown', 'Shuts down the system'),
  power('os_reboot', '/os/reboot', 'Reboots the system (here: powers off; the host decides whether to boot again)'),
  {
    group: 'os',
    method: 'GET',
    path: '/os/dmesg',
    nickname: 'os_dmesg',
    summary: 'Returns the operating system boot log',
    type: 'string',
    handle: (ctx) => json(ctx.guest.control.bootLog()),
  },
  {
    group: 'os',
    method: 'GET',
    path: '/os/hostname',
    nickname: 'os_get_hostname',
    summary: "Returns the system's host name",
    type: 'string',
    handle: (ctx) => json(ctx.guest.control.hostname()),
  },
  {
    group: 'os',
    method: 'POST',
    path: '/os/hostname',
    nickname: 'os_set_hostname',
    summary: "Sets the system's host name",
    type: 'void',
    mutates: true,
    params: [{ name: 'name', paramType: 'query', type: 'string', required: true, description: 'new hostname' }],
    handle: (ctx) => {
      const name = required(ctx, 'name');
      // sethostname(2): HOST_NAME_MAX is 64.
      if (name.length > 64) throw badParam('host name longer than 64 characters');
      ctx.guest.control.setHostname(name);
      return json('');
    },
  },
  {
    group: 'os',
    method: 'GET',
    path: '/os/threads',
    nickname: 'os_threads',
    summary: 'Returns a list of threads in the system',
    type: 'Threads',
    handle: (ctx) => {
      const { sched, clock } = ctx.guest;
      const list = sched.threadInfo().map((t) => ({
        id: t.id,
        cpu: t.cpu,
        cpu_ms: Math.floor(t.runtimeNs / NS_PER_MS),
        switches: t.switches,
        migrations: 0,
        preemptions: 0,
        priority: t.priority,
        stack_size: 0,
        status: STATUS[t.state],
        name: t.name,
      }));
      return json({ list, time_ms: Number(clock.realtimeNs() / BigInt(NS_PER_MS)) });
    },
  },
  {
    group: 'os',
    method: 'GET',
    path: '/os/cmdline',
    nickname: 'os_get_cmdline',
    summary: 'Returns the current boot command line',
    type: 'string',
    handle: (ctx) => json(ctx.guest.control.commandLine()),
  },
  {
    group: 'os',
    method: 'POST',
    path: '/os/cmdline',
    nickname: 'os_set_cmdline',
    summary: 'Replaces the boot command line',
    type: 'string',
    mutates: true,
    params: [{ name: 'cmdline', paramType: 'query', type: 'string', required: true, description: 'new cmdline' }],
    handle: (ctx) => {
      const cmdline = required(ctx, 'cmdline');
      if (cmdline.length >= MAX_CMDLINE) throw badParam('command line too long');
      try {
        ctx.guest.setCommandLine(cmdline);
      } catch (e) {
        throw serverError(`cannot write the command line: ${(e as Error).message}`);
      }
      return json(cmdline);
    },
  },
];

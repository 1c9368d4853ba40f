// procfs (OSv fs/procfs, in Linux's formats so programs that parse them work): /proc/meminfo,
// /proc/cpuinfo, /proc/uptime, /proc/mounts, /proc/version, /proc/self -> /proc/<pid>, and per
// process cmdline, environ, status, cwd, exe, mounts and fd/. Figures come from an injected
// ProcInfo (the kernel feeds core-sched's page allocator and clocks); /proc/mounts comes from
// the VFS's own mount table. fd/N entries are plain symlinks to the paths the provider names
// (Linux's "magic" links that reopen the very file are not modelled).
import type { Mount } from '../../mount.js';
import { type SynthDir, type SynthNode, SyntheticFs, link, staticDir, textFile } from '../synthetic/synthetic-fs.js';

export interface ProcMemory {
  readonly totalBytes: number;
  readonly freeBytes: number;
  readonly availableBytes?: number;
}

export interface ProcProcess {
  readonly pid: number;
  readonly name: string;
  readonly cmdline: readonly string[];
  readonly environ: readonly string[];
  readonly cwd?: string;
  readonly exe?: string;
  /** Open descriptors and the paths they were opened with. */
  fds?(): Iterable<{ fd: number; path: string }>;
}

export interface ProcInfo {
  /** Time since boot (CLOCK_MONOTONIC), ns. */
  uptimeNs(): number;
  /** Idle time summed over CPUs, ns (second field of /proc/uptime). */
  idleNs?(): number;
  memory(): ProcMemory;
  /** Number of vCPUs and their model name. */
  cpus(): { count: number; modelName: string; mhz?: number };
  /** The process /proc/self names (OSv runs one). */
  self(): ProcProcess;
  readonly kernelVersion?: string;
}

const kb = (bytes: number): string => `${Math.floor(bytes / 1024)}`.padStart(8) + ' kB';

function escapeMountField(s: string): string {
  // fstab(5)/proc/mounts escape spaces, tabs, newlines and backslashes as octal.
  return s.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

function mountsText(m: Mount): string {
  let out = '';
  for (const mt of m.vfs.mounts) {
    out += `${escapeMountField(mt.source)} ${escapeMountField(mt.path)} ${mt.fs.type} ${mt.options} 0 0\n`;
  }
  return out;
}

export class ProcFs extends SyntheticFs {
  constructor(info: ProcInfo) {
    const processDir = (p: () => ProcProcess): SynthDir =>
      staticDir(() => {
        const entries: [string, SynthNode][] = [
          [
            'cmdline',
            textFile(() =>
              p()
                .cmdline.map((a) => a + '\0')
                .join(''),
            ),
          ],
          [
            'environ',
            textFile(() =>
              p()
                .environ.map((a) => a + '\0')
                .join(''),
            ),
          ],
          [
            'status',
            textFile(() => {
              const pr = p();
              const mem = info.memory();
              return `Name:\t${pr.name}\nState:\tR (running)\nPid:\t${pr.pid}\nPPid:\t0\nThreads:\t1\nVmRSS:\t${kb(mem.totalBytes - mem.freeBytes).trim()}\n`;
            }),
          ],
          ['mounts', textFile(mountsText)],
          [
            'fd',
            staticDir(
              () =>
                [...(p().fds?.() ?? [])].map(({ fd, path }) => [String(fd), link(() => path)] as [string, SynthNode]),
              0o500,
            ),
          ],
        ];
        const pr = p();
        if (pr.cwd !== undefined) entries.push(['cwd', link(() => p().cwd ?? '/')]);
        if (pr.exe !== undefined) entries.push(['exe', link(() => p().exe ?? '/')]);
        return entries;
      });
    const root = staticDir(() => [
      ['self', link(() => String(info.self().pid))],
      [String(info.self().pid), processDir(() => info.self())],
      [
        'meminfo',
        textFile(() => {
          const m = info.memory();
          return `MemTotal:       ${kb(m.totalBytes)}\nMemFree:        ${kb(m.freeBytes)}\nMemAvailable:   ${kb(m.availableBytes ?? m.freeBytes)}\n`;
        }),
      ],
      [
        'cpuinfo',
        textFile(() => {
          const c = info.cpus();
          let out = '';
          for (let i = 0; i < c.count; i++) {
            out += `processor\t: ${i}\nmodel name\t: ${c.modelName}\n`;
            if (c.mhz !== undefined) out += `cpu MHz\t\t: ${c.mhz.toFixed(3)}\n`;
            out += '\n';
          }
          return out;
        }),
      ],
      [
        'uptime',
        textFile(() => `${(info.uptimeNs() / 1e9).toFixed(2)} ${((info.idleNs?.() ?? 0) / 1e9).toFixed(2)}\n`),
      ],
      ['mounts', textFile(mountsText)],
      ['version', textFile(() => `${info.kernelVersion ?? 'OSv (osv-ts)'}\n`)],
    ]);
    super('proc', root);
  }
}

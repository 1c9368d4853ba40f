// The page script of a vm-browser site (osv build --profile vm-browser): boots the site's kernel
// with the devices on browser APIs — the consoles are a terminal on the page (xterm.js) whose
// keyboard is the guest's stdin, a disk image fetched by URL is virtio-blk (writes stay in the
// page's memory), virtio-rng draws on crypto.getRandomValues — and shows the exit status on the
// page and in document.title (`osv: exit N`), where tests read it.
//
// Query parameters, as osv run's options: ?disk=URL boots that image instead of the site's own
// (it must name no kernel module this site's kernel lacks), ?cmdline=… replaces the command line.
import { Terminal } from '@xterm/xterm';
import {
  MBR_BYTES,
  MemoryBlockBackend,
  VirtioBlkDevice,
  VirtioConsoleDevice,
  VirtioRngDevice,
  parseMbr,
  type ConsoleSink,
  type DeviceModel,
} from '@osv-ts/drivers-virtio';
import { BootFlag } from '@osv-ts/kernel-api';
import { BOOT_PARTITION_TYPE, readBootRecord } from '@osv-ts/vmm/boot-record';
import { runBrowserMachine } from './browser-machine.js';
import { LineEditor } from './line-editor.js';

/** What osv build writes into the site's osv.json. */
export interface SiteConfig {
  readonly memBytes: number;
  readonly kernel: string;
  /** The modules linked into the kernel: an image that names others cannot boot on it. */
  readonly modules: readonly string[];
  /** A files site: the command line and the bootfs holding the app and its files. */
  readonly cmdline?: string;
  readonly bootfs?: string;
  /** An image site: the disk image (raw, as osv build writes it) the page boots. */
  readonly disk?: string;
}

/** What the page shows its tests besides the title: the terminal's text, a line per output line. */
interface PageHooks {
  terminalText(): string;
}

/** What the page boots: a command line, a bootfs, and the disk when there is one. */
interface BootPlan {
  readonly cmdline: string;
  readonly bootfs: Uint8Array;
  readonly disk?: Uint8Array;
}

class PageError extends Error {}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new PageError(`${what} ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The boot partition of a disk image (as @osv-ts/vmm's firmware reads it, from memory). */
function bootFromImage(url: string, disk: Uint8Array, modules: readonly string[]): BootPlan {
  if (disk.length < MBR_BYTES) throw new PageError(`${url}: ${disk.length} bytes, no partition table`);
  const boot = parseMbr(disk.subarray(0, MBR_BYTES), Math.floor(disk.length / 512)).find(
    (p) => p.index === 0 && p.type === BOOT_PARTITION_TYPE,
  );
  if (!boot) throw new PageError(`${url}: no osv-ts boot partition; was it built by osv build?`);
  const start = boot.startSector * 512;
  const record = readBootRecord(
    (offset, into) => into.set(disk.subarray(start + offset, start + offset + into.length)),
    boot.sectors * 512,
  );
  // The stored kernel bundle is never run (docs/isolation.md): the site's kernel boots the
  // image, so it must have every module the image's kernel was linked with.
  const named = imageModules(record.kernelIdentity);
  const missing = named.filter((m) => !modules.includes(m));
  if (missing.length > 0)
    throw new PageError(
      `${url} needs kernel modules this site lacks: ${missing.join(', ')} (osv build -i it into a site)`,
    );
  return { cmdline: record.cmdline, bootfs: record.bootfs, disk };
}

/** The module names an image's kernel identity lists (JSON; see tools/osv's kernel-identity.ts). */
function imageModules(identity: string | undefined): string[] {
  if (identity === undefined) throw new PageError('the image names no kernel identity: rebuild it with osv build');
  const parsed = JSON.parse(identity) as { modules?: unknown };
  const modules = parsed.modules;
  if (!Array.isArray(modules) || !modules.every((m): m is string => typeof m === 'string'))
    throw new PageError('the image names no kernel modules: rebuild it with osv build');
  return modules;
}

async function plan(config: SiteConfig, params: URLSearchParams): Promise<BootPlan> {
  const diskUrl = params.get('disk') ?? config.disk;
  const base =
    diskUrl !== undefined
      ? bootFromImage(diskUrl, await fetchBytes(diskUrl, 'disk'), config.modules)
      : { cmdline: config.cmdline ?? '', bootfs: await fetchBytes(config.bootfs ?? 'bootfs.bin', 'bootfs') };
  return { ...base, cmdline: params.get('cmdline') ?? base.cmdline };
}

async function main(): Promise<void> {
  const terminal = new Terminal({ convertEol: true, cursorBlink: true, scrollback: 10_000 });
  terminal.open(document.getElementById('terminal')!);
  const hooks: PageHooks = {
    terminalText() {
      const buffer = terminal.buffer.active;
      const lines: string[] = [];
      for (let i = 0; i < buffer.length; i++) {
        const line = buffer.getLine(i);
        const text = line?.translateToString(true) ?? '';
        // A line the terminal wrapped at its width is one line of the guest's output.
        if (line?.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
        else lines.push(text);
      }
      while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      return lines.length ? `${lines.join('\n')}\n` : '';
    },
  };
  (globalThis as { osv?: PageHooks }).osv = hooks;
  const decoder = new TextDecoder();
  const sink: ConsoleSink = {
    write(bytes) {
      // A view of guest RAM (a SharedArrayBuffer), which TextDecoder does not take.
      terminal.write(decoder.decode(bytes.slice(), { stream: true }));
    },
  };
  const status = document.getElementById('status')!;
  const finish = (code: number, error?: string): void => {
    if (error) terminal.write(`${terminal.buffer.active.cursorX === 0 ? '' : '\n'}osv: ${error}\n`);
    document.body.dataset.exitStatus = String(code);
    status.textContent = `exit status ${code}`;
    document.title = `osv: exit ${code}`;
  };
  let boot: BootPlan;
  let config: SiteConfig;
  try {
    config = (await (await fetch('osv.json')).json()) as SiteConfig;
    boot = await plan(config, new URLSearchParams(location.search));
  } catch (e) {
    // The page's "exit 1": what osv run -i says of an image it cannot boot.
    finish(1, `cannot boot: ${(e as Error).message}`);
    return;
  }
  const stdin = new VirtioConsoleDevice('console0', sink, terminal.cols, terminal.rows);
  // The terminal is in canonical mode, as a host tty is for osv run: echo, erase, whole lines.
  const editor = new LineEditor({
    echo: (text) => terminal.write(text),
    send: (bytes) => stdin.pushInput(bytes),
    end: () => stdin.endInput(),
  });
  terminal.onData((data) => editor.input(data));
  terminal.focus();
  const devices: DeviceModel[] = [stdin, new VirtioConsoleDevice('console1', sink, terminal.cols, terminal.rows)];
  // The device order of osv run -i (console0, console1, vblk0, rng0): the same command line
  // names the same /dev/vblk0.N.
  if (boot.disk)
    devices.push(new VirtioBlkDevice('vblk0', new MemoryBlockBackend(boot.disk), { serial: 'osv-ts-vblk0' }));
  devices.push(new VirtioRngDevice('rng0', { fill: (buf) => void crypto.getRandomValues(buf) }));
  status.textContent = 'running';
  const exit = await runBrowserMachine({
    memBytes: config.memBytes,
    cmdline: boot.cmdline,
    kernelUrl: new URL(config.kernel, location.href).href,
    bootfs: boot.bootfs,
    devices,
    // The page is the guest's terminal: stdin, stdout and stderr are all the tty.
    bootFlags: BootFlag.STDIN_TTY | BootFlag.STDOUT_TTY | BootFlag.STDERR_TTY | BootFlag.STDIN_CONNECTED,
  });
  finish(exit.status, exit.error);
}

void main();

// The shell's file commands over the API's /file routes (OSv's modules/cli: ls, cat, cd, mkdir,
// rm): WebHDFS-style operations on the guest's own file system.
import { ApiError, routePath } from './api-client.js';
import { tableFormat } from './table-format.js';
import {
  ShellCommandError,
  resolveGuestPath,
  takeFlags,
  type ShellCommand,
  type ShellContext,
} from './shell-context.js';

/** The API's FileStatusProperties (reference §2 file). */
export interface FileStatus {
  accessTime: number;
  blockSize: number;
  group: string;
  length: number;
  modificationTime: number;
  owner: string;
  pathSuffix: string;
  permission: string;
  replication: number;
  symlink?: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
}

const fileRoute = (path: string): string => `/file${routePath(path)}`;

async function fileStatus(ctx: ShellContext, path: string): Promise<FileStatus | undefined> {
  const r = await ctx.api.request('GET', fileRoute(path), { op: 'GETFILESTATUS' });
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new ApiError(r.status, (r.body as { message?: string }).message ?? `HTTP ${r.status}`);
  return r.body as FileStatus;
}

/** `-rwxr-xr-x` from the type and the octal permission string ("755"). */
export function modeString(f: Pick<FileStatus, 'type' | 'permission'>): string {
  const kind = f.type === 'DIRECTORY' ? 'd' : f.type === 'SYMLINK' ? 'l' : '-';
  const bits = Number.parseInt(f.permission, 8) & 0o777;
  let s = kind;
  for (let shift = 6; shift >= 0; shift -= 3) {
    const b = (bits >> shift) & 7;
    s += (b & 4 ? 'r' : '-') + (b & 2 ? 'w' : '-') + (b & 1 ? 'x' : '-');
  }
  return s;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ls -l's row: mode, links, owner, group, size, month, day, time (or year when not recent), name. */
export function longRow(f: FileStatus, nowMs: number): string[] {
  const t = new Date(f.modificationTime * 1000);
  const sixMonths = 183 * 24 * 3600 * 1000;
  const recent = t.getTime() > nowMs - sixMonths && t.getTime() < nowMs + sixMonths;
  const hhmm = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
  return [
    modeString(f),
    String(f.replication),
    f.owner,
    f.group,
    String(f.length),
    MONTHS[t.getMonth()]!,
    String(t.getDate()).padStart(2, '0'),
    recent ? hhmm : String(t.getFullYear()),
    f.type === 'SYMLINK' && f.symlink ? `${f.pathSuffix} -> ${f.symlink}` : f.pathSuffix,
  ];
}

const byName = (a: FileStatus, b: FileStatus): number =>
  a.pathSuffix.toLowerCase() < b.pathSuffix.toLowerCase()
    ? -1
    : a.pathSuffix.toLowerCase() > b.pathSuffix.toLowerCase()
      ? 1
      : 0;

function shortList(files: readonly FileStatus[]): string {
  return files.map((f) => f.pathSuffix + (f.type === 'DIRECTORY' ? '/' : '')).join('\n');
}

const ls: ShellCommand = {
  name: 'ls',
  desc: 'list directory contents',
  usage:
    'Usage: ls [-l] [FILE]...\n\nList information about the FILEs (the current directory by default).\n  -l  use a long listing format\n',
  async run(args, ctx) {
    const { flags, rest } = takeFlags('ls', args, 'l');
    const long = flags.has('l');
    const operands = rest.length > 0 ? rest : [ctx.cwd];
    let status = 0;
    const found: { arg: string; file: FileStatus }[] = [];
    for (const arg of operands) {
      const file = await fileStatus(ctx, resolveGuestPath(ctx.cwd, arg));
      if (file) found.push({ arg, file });
      else {
        ctx.err(`ls: ${arg}: no such file or directory\n`);
        status = 1;
      }
    }
    const now = Date.now();
    const files = found.filter((f) => f.file.type !== 'DIRECTORY').map((f) => ({ ...f.file, pathSuffix: f.arg }));
    const sections: string[] = [];
    if (files.length > 0) sections.push(long ? tableFormat(files.map((f) => longRow(f, now))) : shortList(files));
    for (const { arg, file } of found) {
      if (file.type !== 'DIRECTORY') continue;
      const list = (await ctx.api.get(fileRoute(resolveGuestPath(ctx.cwd, arg)), { op: 'LISTSTATUS' })) as FileStatus[];
      list.sort(byName);
      let text = found.length > 1 ? `${arg}:\n` : '';
      if (long) {
        const blocks = list.reduce((n, f) => n + Math.ceil(f.length / (f.blockSize || 512)), 0);
        text += `total ${blocks}\n${tableFormat(list.map((f) => longRow(f, now)))}`;
      } else text += shortList(list);
      sections.push(text.replace(/\n$/, ''));
    }
    const text = sections.filter((s) => s !== '').join('\n\n');
    if (text !== '') ctx.out(`${text}\n`);
    return status;
  },
};

const cat: ShellCommand = {
  name: 'cat',
  desc: 'concatenate files and print on the standard output',
  usage: 'Usage: cat FILE...\n',
  async run(args, ctx) {
    let status = 0;
    for (const arg of args) {
      const r = await ctx.api.request('GET', fileRoute(resolveGuestPath(ctx.cwd, arg)), { op: 'GET' });
      if (r.status === 200) ctx.out(r.raw);
      else {
        ctx.err(`cat: ${arg}: ${r.status === 404 ? 'no such file or directory' : messageOf(r.body, r.status)}\n`);
        status = 1;
      }
    }
    return status;
  },
};

const cd: ShellCommand = {
  name: 'cd',
  desc: 'change the working directory',
  usage: 'Usage: cd [DIR]\n\nChange the shell working directory (/ by default).\n',
  async run(args, ctx) {
    const path = resolveGuestPath(ctx.cwd, args[0] ?? '/');
    const file = await fileStatus(ctx, path);
    if (!file) throw new ShellCommandError(`${args[0]}: no such file or directory`);
    if (file.type !== 'DIRECTORY') throw new ShellCommandError(`${args[0]}: not a directory`);
    ctx.cwd = path;
    return 0;
  },
};

const mkdir: ShellCommand = {
  name: 'mkdir',
  desc: 'make directories',
  usage: 'Usage: mkdir [-p] DIRECTORY...\n\nCreate the DIRECTORY(ies).\n  -p  make parent directories as needed\n',
  async run(args, ctx) {
    const { flags, rest } = takeFlags('mkdir', args, 'p');
    if (rest.length === 0) throw new ShellCommandError('missing operand', 2);
    let status = 0;
    for (const dir of rest) {
      const r = await ctx.api.request('PUT', fileRoute(resolveGuestPath(ctx.cwd, dir)), {
        op: 'MKDIRS',
        permission: '0755',
        createParent: flags.has('p') ? 'true' : 'false',
      });
      if (r.status !== 200) {
        ctx.err(`mkdir: ${dir}: ${messageOf(r.body, r.status)}\n`);
        status = 1;
      }
    }
    return status;
  },
};

const rm: ShellCommand = {
  name: 'rm',
  desc: 'remove files or directories',
  usage: 'Usage: rm [-r] FILE...\n  -r  remove directories and their contents\n',
  async run(args, ctx) {
    const { flags, rest } = takeFlags('rm', args, 'rf');
    if (rest.length === 0) throw new ShellCommandError('missing operand', 2);
    let status = 0;
    for (const path of rest) {
      const r = await ctx.api.request('DELETE', fileRoute(resolveGuestPath(ctx.cwd, path)), {
        op: 'DELETE',
        ...(flags.has('r') ? { recursive: 'true' } : {}),
      });
      if (r.status !== 200) {
        ctx.err(`rm: ${path}: ${r.status === 404 ? 'no such file or directory' : messageOf(r.body, r.status)}\n`);
        status = 1;
      }
    }
    return status;
  },
};

export function messageOf(body: unknown, status: number): string {
  const m = (body as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : `HTTP ${status}`;
}

export const FILE_COMMANDS: readonly ShellCommand[] = [cat, cd, ls, mkdir, rm];

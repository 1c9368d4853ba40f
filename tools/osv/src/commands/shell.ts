// `osv shell [--api URL] [COMMAND…]`: OSv's CLI commands against a running guest's REST API
// (osv run --api), one-shot or interactive.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, ApiUnreachableError } from '../shell/api-client.js';
import { interactiveShell } from '../shell/interactive-shell.js';
import { runShellCommand } from '../shell/shell-commands.js';
import type { ShellContext } from '../shell/shell-context.js';
import { CliError, UsageError } from '../cli-error.js';

export const SHELL_USAGE = `usage: osv shell [options] [COMMAND [ARG]...]

Runs OSv's CLI commands against a guest's REST API (osv run --api): COMMAND once, or a prompt
with line editing, history and completion when none is given. help lists the commands: api,
cat, cd, date, df, dmesg, echo, exit, free, help, hostname, ifconfig, ls [-l], mkdir [-p],
poweroff, reboot, rm, run, top, uptime.

options:
  -a, --api URL       the API (default $OSV_API, else http://127.0.0.1:8000)
      --cacert FILE   CA certificate of an https API (default $OSV_SSL_CACERT)
      --token FILE    bearer token for an API started with --api-token (default $OSV_API_TOKEN)
  -h, --help          this text

exit status: the command's (0, 1 when it failed, 2 for a usage mistake, 127 for an unknown
command); 1 when the API cannot be reached.
`;

export interface ShellOptions {
  url: string;
  cacert?: string;
  token?: string;
  command: string[];
  help: boolean;
}

export function parseShellOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ShellOptions {
  const o: ShellOptions = { url: env.OSV_API || 'http://127.0.0.1:8000', command: [], help: false };
  if (env.OSV_SSL_CACERT) o.cacert = env.OSV_SSL_CACERT;
  if (env.OSV_API_TOKEN) o.token = env.OSV_API_TOKEN;
  let i = 0;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`shell: ${name} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const [name, inline] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const take = (): string => inline ?? value(name);
    if (name === '-a' || name === '--api') o.url = take();
    else if (name === '--cacert') o.cacert = take();
    else if (name === '--token') o.token = take();
    else if (name === '-h' || name === '--help') o.help = true;
    else if (a.startsWith('-')) throw new UsageError(`shell: unknown option '${a}' (osv shell --help)`);
    else {
      o.command = argv.slice(i);
      break;
    }
  }
  return o;
}

function readOption(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export async function shellCommand(argv: readonly string[]): Promise<number> {
  const o = parseShellOptions(argv);
  if (o.help) {
    process.stdout.write(SHELL_USAGE);
    return 0;
  }
  let api: ApiClient;
  try {
    api = new ApiClient({
      url: o.url,
      ...(o.cacert !== undefined ? { ca: readOption(o.cacert, '--cacert') } : {}),
      ...(o.token !== undefined ? { token: readOption(o.token, '--token').trim() } : {}),
    });
  } catch (e) {
    if (e instanceof ApiUnreachableError) throw new UsageError(`shell: --api ${e.message}`);
    throw e;
  }
  const flag = { set: false };
  const ctx: ShellContext = {
    api,
    cwd: '/',
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    tty: process.stdout.isTTY === true,
    rows: process.stdout.rows ?? 24,
    columns: process.stdout.columns ?? 80,
    interrupted: () => flag.set,
    sleep: (ms) =>
      new Promise((resolve) => {
        const started = Date.now();
        const tick = (): void => void (flag.set || Date.now() - started >= ms ? resolve() : setTimeout(tick, 50));
        tick();
      }),
  };
  if (o.command.length > 0) {
    // Ctrl-C stops a running top; a second one ends osv shell.
    const onInt = (): void => {
      if (flag.set) process.exit(130);
      flag.set = true;
    };
    process.on('SIGINT', onInt);
    try {
      return await runShellCommand(o.command, ctx);
    } finally {
      process.off('SIGINT', onInt);
    }
  }
  return interactiveShell(ctx, flag, {
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
    historyFile: process.env.OSV_SHELL_HISTORY ?? join(homedir(), '.osv_shell_history'),
  });
}

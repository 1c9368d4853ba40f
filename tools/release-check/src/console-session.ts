// Runs the commands of a README's console blocks as a terminal would (CONTRIBUTING.md,
// "READMEs are run"): in a scratch directory where the repository's files are visible through
// symbolic links, each command through a bash of its own (no variables carry over), stdout and
// stderr captured apart (see matchOutput). `$` commands run as they are; `#` commands run as
// root in a network namespace the session creates (and deletes), so the links and devices they
// make never touch the host's. A command ending in `&` runs in the background, its output going
// to files, until the session ends.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainOutputEnv } from './plain-output-env.js';
import type { ConsoleCommand } from './readme-blocks.js';
import { REPO_ROOT } from './workspace.js';

/** What a command printed, stdout and stderr apart. */
export interface Streams {
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandResult extends Streams {
  readonly status: number | null;
}

export interface BackgroundResult {
  readonly command: ConsoleCommand;
  readonly output: Streams;
}

interface Background {
  readonly command: ConsoleCommand;
  readonly child: ChildProcess;
  /** Path prefix of its .out and .err files. */
  readonly log: string;
  readonly exited: Promise<void>;
}

const TIMEOUT_MS = 180_000;

export class ConsoleSession {
  /** The scratch directory: the repository's top-level entries as symbolic links, plus what commands write. */
  readonly dir: string;
  private netns: string | undefined;
  private readonly background: Background[] = [];
  private readonly env: NodeJS.ProcessEnv;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'osv-ts-readme-'));
    for (const entry of readdirSync(REPO_ROOT)) {
      if (entry !== '.git') symlinkSync(join(REPO_ROOT, entry), join(this.dir, entry));
    }
    // npx must find the workspace's own bins and never fetch a package from the registry.
    this.env = plainOutputEnv({ npm_config_offline: 'true', npm_config_update_notifier: 'false' });
  }

  /** Puts a file a README shows (a `js file=NAME` block) into the scratch directory. */
  writeFile(name: string, text: string): void {
    writeFileSync(join(this.dir, name), text.endsWith('\n') ? text : `${text}\n`);
  }

  private argv(command: ConsoleCommand, script: string): [string, string[]] {
    if (command.prompt === '$') return ['bash', ['-c', script]];
    if (this.netns === undefined) {
      this.netns = `osvreadme-${randomBytes(4).toString('hex')}`;
      execFileSync('ip', ['netns', 'add', this.netns]);
      execFileSync('ip', ['netns', 'exec', this.netns, 'ip', 'link', 'set', 'lo', 'up']);
    }
    return ['ip', ['netns', 'exec', this.netns, 'bash', '-c', script]];
  }

  /** Runs one command to its end (or starts it, in the background). */
  async run(command: ConsoleCommand): Promise<CommandResult> {
    if (command.background) {
      const log = join(this.dir, `.background-${command.line}`);
      const redirect = `exec >${JSON.stringify(`${log}.out`)} 2>${JSON.stringify(`${log}.err`)} </dev/null`;
      const [cmd, args] = this.argv(command, `${redirect}\n${command.command.replace(/&\s*$/, '')}`);
      const child = spawn(cmd, args, { cwd: this.dir, env: this.env, stdio: 'ignore', detached: true });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      this.background.push({ command, child, log, exited });
      return { status: 0, stdout: '', stderr: '' };
    }
    const [cmd, args] = this.argv(command, `exec </dev/null\n${command.command}`);
    const child = spawn(cmd, args, { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => kill(child), TIMEOUT_MS);
    const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    clearTimeout(timer);
    return { status, stdout, stderr };
  }

  /** Stops the background commands and returns what each printed; removes the namespace and the scratch directory. */
  async finish(): Promise<BackgroundResult[]> {
    const results: BackgroundResult[] = [];
    for (const b of this.background) {
      kill(b.child);
      await Promise.race([b.exited, new Promise((r) => setTimeout(r, 5000))]);
      kill(b.child, 'SIGKILL');
      results.push({
        command: b.command,
        output: { stdout: readIfThere(`${b.log}.out`), stderr: readIfThere(`${b.log}.err`) },
      });
    }
    if (this.netns !== undefined) execFileSync('ip', ['netns', 'del', this.netns]);
    rmSync(this.dir, { recursive: true, force: true });
    return results;
  }
}

function readIfThere(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return ''; // the command never started
  }
}

/** Signals the command's whole process group (npx, node, the VMM's helpers). */
function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

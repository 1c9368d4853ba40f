// A network namespace a test owns: created with a random name, every process started in it
// tracked, and all of it (processes, devices, the namespace) removed by dispose(), which tests
// call in `finally`/`afterAll` so a failure leaves nothing behind on the host.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export class Netns {
  readonly name = `osvt-${randomBytes(4).toString('hex')}`;
  private readonly children: ChildProcess[] = [];

  constructor() {
    execFileSync('ip', ['netns', 'add', this.name]);
    this.run('ip', 'link', 'set', 'lo', 'up');
  }

  /** Runs a command inside the namespace and returns its stdout; throws with its stderr on failure. */
  run(cmd: string, ...args: string[]): string {
    try {
      return execFileSync('ip', ['netns', 'exec', this.name, cmd, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
    } catch (e) {
      const err = e as Error & { stderr?: string; stdout?: string };
      throw new Error(
        `${cmd} ${args.join(' ')} failed in ${this.name}: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`,
      );
    }
  }

  /** Starts a long-running command inside the namespace (its own process group, killed by dispose). */
  spawn(cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
      detached: true,
    });
    this.children.push(child);
    return child;
  }

  dispose(): void {
    for (const c of this.children) {
      try {
        if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
    } catch {
      // already deleted
    }
  }
}

/** Collects a child's output and resolves when a pattern shows up in it (or rejects on exit/timeout). */
export function watchOutput(child: ChildProcess): {
  text: () => string;
  waitFor: (re: RegExp, timeoutMs: number) => Promise<RegExpExecArray>;
  exited: Promise<number | null>;
} {
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => {
    text += d.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
      for (const l of listeners) l();
    }),
  );
  return {
    text: () => text,
    exited,
    waitFor: (re, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(text);
          if (m) return done(() => resolve(m));
          if (child.exitCode !== null || child.signalCode !== null)
            return done(() => reject(new Error(`exited before ${re}: ${text}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`timed out waiting for ${re}; output so far:\n${text}`))),
          timeoutMs,
        );
        const done = (f: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      }),
  };
}

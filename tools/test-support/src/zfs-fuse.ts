// Drives the real zfs-fuse daemon for interop tests. zfs-fuse listens on a fixed socket
// (/var/run/zfs/zfs_socket), so every user takes a lock directory first; the daemon is started
// and stopped by its own PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = '/tmp/osv-ts-zfs-fuse.lock';
const SOCKET = '/var/run/zfs/zfs_socket';

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function need(tool: string): void {
  const r = spawnSync('which', [tool]);
  if (r.status !== 0) throw new Error(`${tool} not found: run scripts/setup-system.sh (installs zfs-fuse)`);
}

function alive(pid: number): boolean {
  // A zombie still answers kill -0 until Node reaps it, which cannot happen while we block.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function run(cmd: string, args: string[], opts: { allowFail?: boolean; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  }
  return (r.stdout ?? '') + (opts.allowFail ? (r.stderr ?? '') : '');
}

export class ZfsFuse {
  private child: ChildProcess | null = null;
  readonly dir: string;
  private locked = false;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'osv-zfs-'));
  }

  start(): void {
    need('zfs-fuse');
    need('zpool');
    const deadline = Date.now() + 600_000;
    for (;;) {
      try {
        mkdirSync(LOCK);
        break;
      } catch {
        // A stale lock from a crashed run: its owner pid is gone.
        try {
          const age = Date.now() - statSync(LOCK).mtimeMs;
          if (age > 900_000) rmSync(LOCK, { recursive: true, force: true });
        } catch {
          /* raced */
        }
        if (Date.now() > deadline) throw new Error('timed out waiting for the zfs-fuse lock');
        sleep(200);
      }
    }
    this.locked = true;
    if (spawnSync('zpool', ['list'], { encoding: 'utf8' }).status === 0) {
      this.stop();
      throw new Error(
        'a zfs-fuse daemon not started by these tests is running; stop it first (tests must not share it)',
      );
    }
    this.launch();
  }

  /** Starts the daemon (lock held) and exports pools it auto-imported from its cache
   * (/var/lib/zfs/zpool.cache): leftovers of crash simulations, never ours to keep. */
  private launch(): void {
    this.child = spawn('zfs-fuse', ['-n', '--no-kstat-mount', '-p', join(this.dir, 'pid')], { stdio: 'ignore' });
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      if (existsSync(SOCKET) && spawnSync('zpool', ['list'], { encoding: 'utf8' }).status === 0) {
        for (const name of this.poolNames()) run('zpool', ['export', '-f', name], { allowFail: true });
        return;
      }
      sleep(100);
    }
    this.stop();
    throw new Error('zfs-fuse did not come up');
  }

  /**
   * `zfs set mountpoint=` and mount every file system of `pool`; remounting right after an
   * import can meet a FUSE mount that is still busy, so mounting is retried until all are up.
   */
  mountAt(pool: string, mnt: string): void {
    run('zfs', ['set', `mountpoint=${mnt}`, pool], { allowFail: true });
    for (let i = 0; ; i++) {
      const states = run('zfs', ['list', '-H', '-o', 'mounted,mountpoint', '-r', '-t', 'filesystem', pool])
        .trim()
        .split('\n');
      if (states.every((l) => l.startsWith('yes')) && states[0]!.endsWith(mnt)) return;
      if (i >= 40) throw new Error(`cannot mount ${pool} at ${mnt}: ${states.join('; ')}`);
      sleep(250);
      run('zfs', ['set', `mountpoint=${mnt}`, pool], { allowFail: true });
      run('zfs', ['mount', '-a'], { allowFail: true });
    }
  }

  /** `zpool export`, retried while FUSE still holds the mount busy (a just-closed file, a scrub). */
  exportPool(name: string): void {
    for (let i = 0; ; i++) {
      const r = spawnSync('zpool', ['export', name], { encoding: 'utf8' });
      if (r.status === 0) return;
      if (i >= 40 || !/busy/.test(r.stderr + r.stdout))
        throw new Error(`zpool export ${name} failed (${r.status}): ${r.stderr}${r.stdout}`);
      sleep(250);
    }
  }

  poolNames(): string[] {
    return run('zpool', ['list', '-H', '-o', 'name'], { allowFail: true })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.includes(' '));
  }

  zpool(...args: string[]): string {
    return run('zpool', args);
  }

  zfs(...args: string[]): string {
    return run('zfs', args);
  }

  stop(): void {
    if (this.child && this.child.exitCode === null && this.child.pid !== undefined) {
      for (const name of this.poolNames()) run('zpool', ['export', '-f', name], { allowFail: true });
      process.kill(this.child.pid, 'SIGTERM');
      const until = Date.now() + 15_000;
      while (Date.now() < until) {
        if (!alive(this.child.pid)) break;
        sleep(100);
      }
      if (alive(this.child.pid)) process.kill(this.child.pid, 'SIGKILL');
    }
    this.child = null;
    if (this.locked) {
      rmSync(LOCK, { recursive: true, force: true });
      this.locked = false;
    }
  }

  /** Simulates a crash: SIGKILL the daemon (no txg sync, no export) and detach its mounts. */
  crash(mounts: string[]): void {
    if (this.child?.pid !== undefined) {
      process.kill(this.child.pid, 'SIGKILL');
      const until = Date.now() + 15_000;
      while (Date.now() < until && alive(this.child.pid)) sleep(50);
    }
    this.child = null;
    for (const m of mounts) run('umount', ['-l', m], { allowFail: true });
  }

  /** After crash() and after the caller saved the vdevs: restart, dropping the crashed pools. */
  restartAfterCrash(): void {
    this.launch();
  }

  cleanup(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

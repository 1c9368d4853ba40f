// Apps started while the guest runs: OSv's `PUT /app/?command=` (the httpserver-api app group,
// `osv shell run`). OSv gives each a thread of its own. osv-ts has one app thread — the vCPU's
// own stack, where a wasm app runs until it returns — so an app started this way waits its
// turn: it runs as soon as the app thread is free, at once when the command line's program is a
// server (`/libhttpserver-api.so` in the foreground, OSv's management-only image), or when the
// app that holds the thread returns. The kernel runs them in the order they were started and
// waits for every one before it powers off (as OSv joins `&` apps). Each gets a thread id from
// the scheduler's sequence, which `GET /app/finished?tid=` asks about.
import type { AppCommand } from '../cmdline/app-commands.js';

export interface BackgroundApp {
  readonly tid: number;
  readonly command: AppCommand;
}

export class BackgroundApps {
  private readonly waiting: BackgroundApp[] = [];
  /** Thread ids of the apps waiting or running; an id leaves when its app returns. */
  private readonly live = new Set<number>();

  constructor(private readonly reserveThreadId: () => number) {}

  /** Queues the commands; their thread ids, in order. */
  add(commands: readonly AppCommand[]): number[] {
    return commands.map((command) => {
      const tid = this.reserveThreadId();
      this.waiting.push({ tid, command });
      this.live.add(tid);
      return tid;
    });
  }

  /** The next app to run (it stays live until finished() is called with it). */
  next(): BackgroundApp | undefined {
    return this.waiting.shift();
  }

  finished(app: BackgroundApp): void {
    this.live.delete(app.tid);
  }

  /** Whether an app is waiting for the app thread. */
  get pending(): boolean {
    return this.waiting.length > 0;
  }

  running(tid: number): boolean {
    return this.live.has(tid);
  }
}

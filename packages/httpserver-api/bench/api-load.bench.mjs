// The management API under load beside a compute-bound app (issue 17's load goal): a guest runs
// spin.wasm (xorshift rounds, a system call every 100 000 steps) with --api, and wrk keeps 100
// connections busy on /os/uptime for as long as the app computes. Prints the API's requests/s and
// errors, and how much slower the app's rounds ran than in a guest without load (the app times
// itself, so boot is not counted). Peer: the same app in the same kind of guest, alone, measured
// alternately in this run. Needs clang with wasi-libc and wrk (scripts/setup-system.sh).
// Run: npm run bench. BENCH_API_SECONDS (default 10) sets how long the app computes alone.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const cli = join(here, '../../../tools/osv/dist/cli.js');
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const PAIRS = Number(process.env.BENCH_API_PAIRS ?? 2);
const CONNECTIONS = 100;

const work = mkdtempSync(join(tmpdir(), 'api-load-bench-'));
const spin = join(work, 'spin.wasm');
execFileSync('clang', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-o', spin, join(here, 'spin.c')]);

const roundsMs = (out) => {
  const m = /spin: (\d+) rounds in ([\d.]+) ms/.exec(out);
  if (!m) throw new Error(`spin printed no timing:\n${out}`);
  return Number(m[2]);
};

function alone(rounds) {
  const r = spawnSync(process.execPath, [cli, 'run', spin, String(rounds)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`osv run spin failed: ${r.stderr}`);
  return roundsMs(r.stdout);
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function untilAnswers(url, vm, stderr) {
  for (let i = 0; i < 600; i++) {
    if (vm.exitCode !== null) throw new Error(`the guest exited (${vm.exitCode}) before its API answered: ${stderr()}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${url} did not answer`);
}

/** wrk's summary: requests/s, and errors (socket errors of every kind plus non-2xx answers). */
function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
  if (!Number.isFinite(rps)) throw new Error(`cannot read wrk's output:\n${out}`);
  return { rps, errors: socketErrors + non2xx, timeouts: Number(sock?.[4] ?? 0) };
}

async function loaded(rounds) {
  const port = await freePort();
  const vm = spawn(process.execPath, [cli, 'run', `--api=127.0.0.1:${port}`, spin, String(rounds)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  vm.stderr.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}/os/uptime`;
  await untilAnswers(url, vm, () => err);
  // wrk runs until the app has printed its timing (SIGINT makes wrk stop and print its summary).
  const wrk = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, '-d600s', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let wrkOut = '';
  wrk.stdout.on('data', (d) => (wrkOut += d));
  const wrkDone = new Promise((r) => wrk.once('exit', r));
  await new Promise((resolve, reject) => {
    vm.stdout.on('data', (d) => {
      out += d;
      if (/spin: .* ms/.test(out)) resolve();
    });
    vm.once('exit', (code) =>
      /spin: .* ms/.test(out) ? resolve() : reject(new Error(`guest exited ${code}: ${err}`)),
    );
  });
  wrk.kill('SIGINT');
  await wrkDone;
  if (vm.exitCode === null) await new Promise((r) => vm.once('exit', r));
  if (process.env.BENCH_API_VERBOSE) process.stdout.write(wrkOut);
  return { ms: roundsMs(out), ...parseWrk(wrkOut) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  // Rounds for SECONDS of computing alone, from a short calibration run.
  const rounds = Math.max(100, Math.round((500 / alone(500)) * SECONDS * 1000));
  const quiet = [];
  const busy = [];
  for (let i = 0; i < PAIRS; i++) {
    quiet.push(alone(rounds));
    busy.push(await loaded(rounds));
  }
  const q = median(quiet);
  const b = median(busy.map((x) => x.ms));
  const rps = median(busy.map((x) => x.rps));
  const errors = busy.reduce((n, x) => n + x.errors, 0);
  const timeouts = busy.reduce((n, x) => n + x.timeouts, 0);
  process.stdout.write(
    `api under load (wrk -c${CONNECTIONS} on /os/uptime while spin.wasm computes ${rounds} rounds, ${PAIRS} pairs)\n` +
      `  API: ${rps.toFixed(0)} req/s, ${errors} errors (${timeouts} timeouts) in all runs\n` +
      `  app: ${b.toFixed(0)} ms under load vs ${q.toFixed(0)} ms alone  ratio ${(b / q).toFixed(2)}x ` +
      `(slowdown ${((b / q - 1) * 100).toFixed(1)}%)\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

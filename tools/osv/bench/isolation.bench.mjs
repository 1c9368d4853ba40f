// What guest isolation costs (docs/isolation.md), each row against a peer measured in this run:
//   1. a vCPU-like Worker: plain, with SES bundled in (parse + evaluate), with lockdown(), with
//      lockdown() and one Compartment evaluating a function — the candidates for confining the
//      whole kernel vs. only JS apps; and a node:vm context, the other realm Node offers;
//   2. osv run: hello.wasm (no SES linked), hello.mjs (SES lockdown + Compartment), and
//      osv run -i of an image (the kernel composed from the installed packages as the image
//      names it), wall time and the guest's --bootchart Total.
// Medians of BENCH_RUNS runs (default 11), the cases interleaved so machine load hits all alike.
// Run: node tools/osv/bench/isolation.bench.mjs (after a build).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = join(REPO, 'tools/osv/bin/osv.js');
const HELLO = join(REPO, 'examples/hello/hello.wasm');
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const dir = mkdtempSync(join(tmpdir(), 'osv-isolation-bench-'));
const { build } = await import(createRequire(join(REPO, 'tools/osv/package.json')).resolve('esbuild'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// 1. Workers. Each reports the time its own steps took; the wall time includes start-up and parse.
const workerSource = {
  plain: `import { parentPort } from 'node:worker_threads'; parentPort.postMessage(0);`,
  ses: `import 'ses'; import { parentPort } from 'node:worker_threads'; parentPort.postMessage(0);`,
  lockdown: `import 'ses'; import { parentPort } from 'node:worker_threads';
    const t0 = performance.now(); lockdown({ errorTaming: 'safe', consoleTaming: 'unsafe', reporting: 'none' });
    parentPort.postMessage(performance.now() - t0);`,
  compartment: `import 'ses'; import { parentPort } from 'node:worker_threads';
    lockdown({ errorTaming: 'safe', consoleTaming: 'unsafe', reporting: 'none' });
    const t0 = performance.now();
    const c = new Compartment({ __options__: true, globals: harden({ x: 1 }) });
    c.evaluate('(function (module) { module.v = x + 1; })')({});
    parentPort.postMessage(performance.now() - t0);`,
  vmContext: `import vm from 'node:vm'; import { parentPort } from 'node:worker_threads';
    const t0 = performance.now(); const ctx = vm.createContext({ x: 1 });
    vm.runInContext('(function (module) { module.v = x + 1; })', ctx)({});
    parentPort.postMessage(performance.now() - t0);`,
};
const workerFiles = {};
for (const [name, contents] of Object.entries(workerSource)) {
  const out = join(dir, `${name}.mjs`);
  await build({
    stdin: { contents, resolveDir: join(REPO, 'packages/kernel'), loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    minifySyntax: true,
    minifyWhitespace: true,
    outfile: out,
    logLevel: 'silent',
  });
  workerFiles[name] = out;
}
async function runWorker(file) {
  const t0 = performance.now();
  const w = new Worker(file, { env: {}, argv: [] });
  const inner = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  await w.terminate();
  return { wall: performance.now() - t0, inner };
}
const workers = Object.fromEntries(Object.keys(workerFiles).map((k) => [k, { wall: [], inner: [] }]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, file] of Object.entries(workerFiles)) {
    const r = await runWorker(file);
    workers[name].wall.push(r.wall);
    workers[name].inner.push(r.inner);
  }
}

// 2. osv run. A JS hello and an image of the wasm hello.
const helloJs = join(dir, 'hello.mjs');
writeFileSync(helloJs, "export default function main(argv, env, libc) { libc.write(1, 'Hello from a JS app\\n'); }\n");
const image = join(dir, 'hello.img');
const built = spawnSync(process.execPath, [CLI, 'build', '--app', HELLO, '-o', image], { encoding: 'utf8' });
if (built.status !== 0) throw new Error(`osv build failed: ${built.stderr}`);
function osvRun(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8' });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`osv run ${args.join(' ')} failed: ${r.stderr}`);
  const total = /Total time: ([\d.]+)ms/.exec(r.stderr);
  return { wall, total: total ? Number(total[1]) : NaN };
}
const runs = {
  'hello.wasm': { wall: [HELLO], chart: ['-e', '--bootchart /hello.wasm', HELLO] },
  'hello.mjs (SES)': { wall: [helloJs], chart: ['-e', '--bootchart /hello.mjs', helloJs] },
  'osv run -i hello.img': { wall: ['-i', image], chart: ['-i', image, '-e', '--bootchart /hello.wasm'] },
};
const osv = Object.fromEntries(Object.keys(runs).map((k) => [k, { wall: [], total: [] }]));
for (const r of Object.values(runs)) {
  osvRun(r.wall); // warm the kernel cache
  osvRun(r.chart);
}
for (let i = 0; i < RUNS; i++) {
  for (const [name, r] of Object.entries(runs)) {
    osv[name].wall.push(osvRun(r.wall).wall);
    osv[name].total.push(osvRun(r.chart).total);
  }
}

const f = (x) => x.toFixed(2).padStart(8);
const plainWall = median(workers.plain.wall);
process.stdout.write(`\nIsolation costs, medians of ${RUNS} runs (ms); ratio against the first row of each table\n\n`);
process.stdout.write(`${'vCPU-like Worker'.padEnd(42)}    wall   ratio  own step\n`);
const labels = {
  plain: 'plain Worker (a wasm kernel)',
  ses: '+ SES bundled (parse, evaluate)',
  lockdown: '+ lockdown()',
  compartment: '+ lockdown(), one Compartment',
  vmContext: 'node:vm context instead (not a sandbox)',
};
for (const [name, r] of Object.entries(workers)) {
  const own = name === 'plain' || name === 'ses' ? '       -' : f(median(r.inner));
  process.stdout.write(
    `${labels[name].padEnd(42)}${f(median(r.wall))} ${(median(r.wall) / plainWall).toFixed(2).padStart(6)}× ${own}\n`,
  );
}
const wasmWall = median(osv['hello.wasm'].wall);
process.stdout.write(`\n${'osv run'.padEnd(42)}    wall   ratio  bootchart Total\n`);
for (const [name, r] of Object.entries(osv)) {
  process.stdout.write(
    `${name.padEnd(42)}${f(median(r.wall))} ${(median(r.wall) / wasmWall).toFixed(2).padStart(6)}× ${f(median(r.total))}\n`,
  );
}

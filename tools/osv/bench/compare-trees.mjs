// Boot time of two built osv-ts trees, before/after a change: `osv run hello.wasm` (wall, CPU
// time of the whole process, and the guest's --bootchart Total), `osv run -i` of a hello image
// each tree builds itself, and a JS hello app. The trees run alternately in every iteration
// (order flipped every other one), so machine load falls on both alike; prints the medians and
// the median of the per-iteration differences.
// Run: node tools/osv/bench/compare-trees.mjs BEFORE_TREE AFTER_TREE [RUNS] [CASE_REGEXP]
// (a tree is a repository checkout after `npm ci`; e.g. a copy made before the change).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [beforeTree, afterTree, runsArg, only] = process.argv.slice(2);
if (!beforeTree || !afterTree) {
  process.stderr.write('usage: compare-trees.mjs BEFORE_TREE AFTER_TREE [RUNS] [CASE_REGEXP]\n');
  process.exit(2);
}
const RUNS = Number(runsArg ?? 15);
const trees = { before: beforeTree, after: afterTree };
const dir = mkdtempSync(join(tmpdir(), 'osv-compare-'));
const helloJs = join(dir, 'hello.mjs');
writeFileSync(helloJs, "export default function main(argv, env, libc) { libc.write(1, 'hi\\n'); }\n");
// Reports the process's CPU time (all threads) at exit, in µs.
const cpuReport = join(dir, 'cpu-report.cjs');
writeFileSync(
  cpuReport,
  "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write(`\\nCPU ${u.user + u.system}\\n`); });\n",
);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function osv(tree, args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', cpuReport, join(tree, 'tools/osv/bin/osv.js'), ...args], {
    encoding: 'utf8',
  });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${tree}: osv ${args.join(' ')}: ${r.stderr}`);
  const total = /Total time: ([\d.]+)ms/.exec(r.stderr);
  const cpu = /\nCPU (\d+)\n/.exec(r.stderr);
  return { wall, total: total ? Number(total[1]) : NaN, cpu: cpu ? Number(cpu[1]) / 1000 : NaN };
}

const image = (name) => join(dir, `hello-${name}.img`);
for (const [name, tree] of Object.entries(trees))
  osv(tree, ['build', '--app', join(tree, 'examples/hello/hello.wasm'), '-o', image(name)]);
const hello = (tree) => join(tree, 'examples/hello/hello.wasm');
const allCases = {
  'hello.wasm wall': (t) => osv(t, ['run', hello(t)]).wall,
  'hello.wasm CPU': (t) => osv(t, ['run', hello(t)]).cpu,
  'hello.wasm bootchart Total': (t) => osv(t, ['run', '-e', '--bootchart /hello.wasm', hello(t)]).total,
  '-i hello.img wall': (t, n) => osv(t, ['run', '-i', image(n)]).wall,
  '-i hello.img bootchart Total': (t, n) => osv(t, ['run', '-i', image(n), '-e', '--bootchart /hello.wasm']).total,
  'hello.mjs wall': (t) => osv(t, ['run', helloJs]).wall,
  'hello.mjs bootchart Total': (t) => osv(t, ['run', '-e', '--bootchart /hello.mjs', helloJs]).total,
};
const filter = new RegExp(only ?? '.');
const cases = Object.entries(allCases).filter(([k]) => filter.test(k));
const results = Object.fromEntries(cases.map(([k]) => [k, { before: [], after: [] }]));
for (const [, measure] of cases) for (const [name, tree] of Object.entries(trees)) measure(tree, name); // warm caches
for (let i = 0; i < RUNS; i++) {
  const order = i % 2 ? ['after', 'before'] : ['before', 'after'];
  for (const [k, measure] of cases) for (const name of order) results[k][name].push(measure(trees[name], name));
}
process.stdout.write(`medians of ${RUNS} runs (ms)\n`);
for (const [k, r] of Object.entries(results)) {
  const paired = r.after.map((a, i) => a - r.before[i]);
  process.stdout.write(
    `${k.padEnd(30)} before ${median(r.before).toFixed(2).padStart(8)}  after ${median(r.after).toFixed(2).padStart(8)}` +
      `  Δ medians ${(median(r.after) - median(r.before)).toFixed(2).padStart(7)}  median Δ per run ${median(paired).toFixed(2).padStart(7)}\n`,
  );
}

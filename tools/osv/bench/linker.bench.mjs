// How far the linker tailors kernels: each example app's kernel (osv link) against the
// universal kernel (osv link --all) on the same profile, measured in this run. Sizes are bytes
// of the composed bundle; the ratio is app / --all (the design asks ≤ 0.10 for hello).
// Run: node tools/osv/bench/linker.bench.mjs (after a build).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = join(REPO, 'tools/osv/bin/osv.js');

const link = (args) => {
  const r = spawnSync(process.execPath, [CLI, 'link', ...args, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`osv link ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

for (const profile of ['vm-node', 'vm-node-minimal']) {
  const all = link(['--all', '--profile', profile]);
  console.log(`profile ${profile}: --all ${(all.totalBytes / 1024).toFixed(1)} KiB (${all.modules.length} modules)`);
  for (const app of ['hello', 'fsutil', 'httpd']) {
    let r;
    try {
      r = link([join(REPO, 'examples', app, `${app}.wasm`), '--profile', profile]);
    } catch (e) {
      console.log(`  ${app.padEnd(8)} refused: ${e.message.split('\n')[0].replace(/^.*osv: /, '')}`);
      continue;
    }
    console.log(
      `  ${app.padEnd(8)} ${(r.totalBytes / 1024).toFixed(1).padStart(6)} KiB  ratio ${(r.totalBytes / all.totalBytes).toFixed(3)}  core ${(r.coreBytes / 1024).toFixed(1)} KiB  modules: ${r.modules.map((m) => m.name).join(', ')}`,
    );
  }
}

#!/usr/bin/env node
// `npm test`: installs the system tools the tests use (scripts/setup-system.sh, idempotent, loud
// on failure), builds everything and the example apps, type-checks, lints and format-checks
// (scripts/code-checks.mjs), checks the package rules, and runs every package's tests through nx.
// Exits non-zero on the first failure.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { CODE_CHECKS } from './code-checks.mjs';

const steps = [
  { name: 'system tools', cmd: 'bash', args: ['scripts/setup-system.sh', 'all'] },
  { name: 'build', cmd: 'npx', args: ['nx', 'run-many', '-t', 'build', '--output-style=static'] },
  { name: 'examples', cmd: 'node', args: ['scripts/build-examples.mjs'] },
  ...CODE_CHECKS,
  { name: 'package rules', cmd: 'node', args: ['tools/depcheck/dist/cli.js', '.'] },
  { name: 'tests', cmd: 'npx', args: ['nx', 'run-many', '-t', 'test', '--output-style=static'] },
];

// The planted-error tests (tools/depcheck/test/code-checks.test.ts) plant files inside the tree; a
// run killed before their clean-up leaves them behind, and the repository-wide lint would report
// them as this run's errors.
for (const name of readdirSync('tools/depcheck').filter((n) => n.startsWith('planted-'))) {
  rmSync(`tools/depcheck/${name}`, { recursive: true, force: true });
}

const started = Date.now();
for (const { name, cmd, args } of steps) {
  const t0 = Date.now();
  process.stdout.write(`\n=== ${name}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, {
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  if (r.status !== 0) {
    process.stderr.write(
      `\n=== ${name} FAILED (status ${r.status ?? r.signal}) after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    process.exit(r.status || 1);
  }
  process.stdout.write(`=== ${name}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
process.stdout.write(`\nall steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

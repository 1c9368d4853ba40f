#!/usr/bin/env node
// The nx-release-publish target of every public package (nx.json targetDefaults): `npm publish`
// in the package's directory, with the options `nx release publish` passes (--dryRun=true,
// --tag=…, --otp=…, --registry=…) turned into npm's. An option it does not know stops the
// publish, so that a dry run can never turn into a real one. The package's prepack builds it.
import { spawnSync } from 'node:child_process';

const NPM_OPTION = { tag: '--tag', otp: '--otp', registry: '--registry' };
const args = ['publish'];
for (const arg of process.argv.slice(2)) {
  const m = /^--([A-Za-z]+)(?:=(.*))?$/.exec(arg);
  const [name, value = 'true'] = m ? [m[1], m[2]] : [];
  if (name === 'dryRun') {
    if (value !== 'false') args.push('--dry-run');
  } else if (name === 'firstRelease') {
    // nx's own concern (no previous tag to compare with); npm needs nothing.
  } else if (name !== undefined && name in NPM_OPTION) {
    args.push(NPM_OPTION[/** @type {keyof typeof NPM_OPTION} */ (name)], value);
  } else {
    console.error(`release-publish: unknown option ${arg}; not publishing`);
    process.exit(2);
  }
}
const r = spawnSync('npm', args, { stdio: 'inherit' });
process.exit(r.status ?? 1);

#!/usr/bin/env node
// The `osv` command as npm links it. npm creates node_modules/.bin/osv when it installs the
// workspace, before `prepare` has built dist/, so the link points at this committed file, which
// loads the built CLI.
try {
  await import('../dist/cli.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('/dist/cli.js')) throw e;
  process.stderr.write('osv: the CLI is not built yet (tools/osv/dist is missing): run `npm run build`\n');
  process.exitCode = 1;
}

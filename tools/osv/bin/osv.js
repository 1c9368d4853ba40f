#!/usr/bin/env node
// The `osv` command as npm links it. npm creates node_modules/.bin/osv when it installs the
// workspace, before `prepare` has built dist/, so the link points at this committed file, which
// loads the built CLI: dist/cli-bundle.cjs (scripts/bundle-cli.mjs) compiled as one classic
// script with V8's code cache, kept in the private cache directory beside the kernels' (Node 20
// keeps none for ES modules, and compiling the CLI's modules was most of its start-up); or, when
// there is no bundle, the ES-module CLI dist/cli.js.
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = fileURLToPath(new URL('../dist/cli-bundle.cjs', import.meta.url));

/** The private cache directory (vmm's cacheDir), if it exists and only this user can write it. */
function privateCacheDir() {
  const override = process.env.OSV_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME;
  const dir = override ? resolve(override) : join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'osv-ts');
  try {
    const st = statSync(dir);
    const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
    return st.isDirectory() && mine && (st.mode & 0o022) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

function runBundle() {
  let source;
  let st;
  try {
    st = statSync(bundle);
    source = readFileSync(bundle, 'utf8');
  } catch (e) {
    if (e?.code === 'ENOENT') return false;
    throw e;
  }
  // V8 checks a cache against the source's length only: the name carries the bundle's identity.
  const cacheName = `cli-code-cache-${st.size}-${Math.trunc(st.mtimeMs)}-${st.dev}-${st.ino}.bin`;
  const dir = privateCacheDir();
  let cachedData;
  if (dir !== undefined) {
    try {
      cachedData = readFileSync(join(dir, cacheName));
    } catch {
      // no cache yet (or unreadable): compile from source, and write one at exit
    }
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!.*/, '')}\n})`;
  const script = new Script(wrapper, { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written when the process ends, so the cache holds the functions this run compiled too.
    process.once('exit', () => {
      const at = privateCacheDir();
      if (at === undefined) return;
      const tmp = join(at, `${cacheName}.${process.pid}.tmp`);
      try {
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, join(at, cacheName));
      } catch {
        rmSync(tmp, { force: true });
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return true;
}

if (!runBundle()) {
  try {
    await import('../dist/cli.js');
  } catch (e) {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('/dist/cli.js')) throw e;
    process.stderr.write('osv: the CLI is not built yet (tools/osv/dist is missing): run `npm run build`\n');
    process.exitCode = 1;
  }
}

#!/usr/bin/env node
// Build step after tsup: bundles the CLI (dist/cli.js and everything it imports, the @osv-ts
// packages included) into one classic script, dist/cli-bundle.cjs, that bin/osv.js compiles
// with a V8 code cache. Node 20 keeps no code cache for ES modules, and loading `osv run`'s ~40
// modules (resolving, reading and compiling each) was the largest part of a hello run's start-up
// (issue 14); one cached script is one read and a cache deserialisation.
//
// Each module keeps the import.meta.url it has unbundled: the plugin rewrites it to the URL of
// the same file inside its own package, found at run time through the bundle's require (so the
// bundle works wherever npm installs the packages). dist/cli.js stays the ES-module CLI, which
// bin/osv.js falls back to.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { build } from 'esbuild';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const ownName = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;

/** The package a file belongs to: its name, and the file's path inside it. */
function owningPackage(file) {
  for (let d = dirname(file); d !== dirname(d); d = dirname(d)) {
    try {
      const { name } = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8'));
      if (name) return { name, path: relative(d, file).split(sep).join('/') };
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
  }
  throw new Error(`bundle-cli: ${file} is in no package`);
}

const moduleUrls = {
  name: 'module-urls',
  setup(b) {
    b.onLoad({ filter: /\.m?js$/ }, async ({ path }) => {
      const text = await readFile(path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      const { name, path: inside } = owningPackage(path);
      const url = `__osvModuleUrl(${JSON.stringify(name)}, ${JSON.stringify(inside)})`;
      const rewritten = text.replaceAll('import.meta.url', url);
      if (rewritten.includes('import.meta'))
        throw new Error(`bundle-cli: ${path} uses import.meta beyond import.meta.url`);
      return { contents: rewritten, loader: 'js' };
    });
  },
};

// Runs first in the bundle: `require` is the bundle's own (bin/osv.js makes it for this file).
const banner = `"use strict";
const __osvModuleUrl = (() => {
  const { dirname, join } = require('node:path');
  const { pathToFileURL } = require('node:url');
  const roots = new Map([[${JSON.stringify(ownName)}, join(__dirname, '..')]]);
  return (name, path) => {
    let dir = roots.get(name);
    if (dir === undefined) roots.set(name, (dir = dirname(require.resolve(name + '/package.json'))));
    return pathToFileURL(join(dir, path)).href;
  };
})();`;

await build({
  entryPoints: [join(root, 'dist/cli.js')],
  outfile: join(root, 'dist/cli-bundle.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // esbuild loads its platform binary at run time: it stays a package of its own.
  external: ['esbuild'],
  // import() becomes require(): a classic script compiled by node:vm has no module loader.
  supported: { 'dynamic-import': false },
  banner: { js: banner },
  plugins: [moduleUrls],
  logLevel: 'warning',
  legalComments: 'none',
  // The bundle must behave as the modules do unbundled: keep every module's top-level code, even
  // where package.json's sideEffects would let a bundler drop it.
  ignoreAnnotations: true,
});

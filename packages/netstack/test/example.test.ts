/// <reference types="node" />
// The README's runnable example runs and prints the reply. It is bundled here with esbuild,
// '@osv-ts/netstack' pointing at src/, so the test does not depend on this package's dist.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('examples/two-stacks.mjs', () => {
  it('prints the HTTP reply carried between two stacks', () => {
    const script = fileURLToPath(new URL('../examples/two-stacks.mjs', import.meta.url));
    const outfile = join(mkdtempSync(join(tmpdir(), 'netstack-example-')), 'two-stacks.mjs');
    buildSync({
      entryPoints: [script],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'silent',
      alias: { '@osv-ts/netstack': fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
    });
    const out = execFileSync(process.execPath, [outfile], { encoding: 'utf8' });
    expect(out).toContain('hello from 10.0.0.1');
  });
});

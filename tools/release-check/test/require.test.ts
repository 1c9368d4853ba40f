// Every export of every package loads from the installed tarballs with import and with
// require() (Node 20.19+ loads ES modules through require when `exports` has a default
// condition; with `import` alone it fails with ERR_PACKAGE_PATH_NOT_EXPORTED).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { exportSpecifiers, publicPackages } from '../src/workspace.js';

const project = inject('project');
const specifiers = publicPackages().flatMap((p) => exportSpecifiers(p.json));

/** Loads every specifier in one node process; returns the ones that failed, with the error code. */
function load(how: 'import' | 'require'): Record<string, string> {
  const script = join(project.dir, `load-${how}.cjs`);
  writeFileSync(
    script,
    `const failed = {};
(async () => {
  for (const s of ${JSON.stringify(specifiers)}) {
    try { ${how === 'import' ? 'await import(s)' : 'require(s)'}; } catch (e) { failed[s] = e.code ?? e.message; }
  }
  process.stdout.write(JSON.stringify(failed));
})();
`,
  );
  return JSON.parse(execFileSync(process.execPath, [script], { cwd: project.dir, encoding: 'utf8' })) as Record<
    string,
    string
  >;
}

describe('the installed packages load', () => {
  it('lists every export of every package', () => {
    expect(specifiers).toContain('@osv-ts/netstack/wire');
    expect(specifiers.length).toBeGreaterThan(20);
  });

  it('with import', () => {
    expect(load('import')).toEqual({});
  });

  it('with require()', () => {
    expect(load('require')).toEqual({});
  });
});

import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWorkspace } from './check.js';

/** A throw-away workspace: kernel-api, core-sched and libc with the given core-sched source. */
function workspace(
  coreSchedSource: string,
  coreSchedDeps: Record<string, string> = { '@osv-ts/kernel-api': '0.1.0' },
): string {
  const root = mkdtempSync(join(tmpdir(), 'depcheck-'));
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({ name: 'ws', workspaces: ['packages/*'], devDependencies: { vitest: '4' } }),
  );
  const pkg = (name: string, deps: Record<string, string>, source: string): void => {
    const dir = join(root, 'packages', name);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `@osv-ts/${name}`, dependencies: deps }));
    writeFileSync(join(dir, 'src', 'index.ts'), source);
  };
  pkg('kernel-api', {}, 'export const x = 1;\n');
  pkg('libc', { '@osv-ts/core-sched': '0.1.0' }, "import { y } from '@osv-ts/core-sched';\nexport const z = y;\n");
  pkg('core-sched', coreSchedDeps, coreSchedSource);
  return root;
}

describe('checkWorkspace', () => {
  it('accepts a workspace that follows the rules', () => {
    expect(checkWorkspace(workspace("import { x } from '@osv-ts/kernel-api';\nexport const y = x;\n"))).toEqual([]);
  });

  it('flags an import of an undeclared package', () => {
    const v = checkWorkspace(
      workspace(
        "import { x } from '@osv-ts/kernel-api';\nimport fc from 'fast-check';\nexport const y = x + String(fc);\n",
      ),
    );
    expect(v.map((e) => e.rule)).toEqual(['undeclared-dependency']);
    expect(v[0]!.line).toBe(2);
  });

  it("flags a reach into another package's src/", () => {
    const rules = checkWorkspace(
      workspace("import { x } from '../../kernel-api/src/index.js';\nexport const y = x;\n"),
    ).map((e) => e.rule);
    expect(rules).toEqual(['reach-into-package']);
    const viaName = checkWorkspace(
      workspace("import { x } from '@osv-ts/kernel-api/src/index.js';\nexport const y = x;\n"),
    ).map((e) => e.rule);
    expect(viaName).toEqual(['reach-into-package']);
  });

  it('flags an upward edge of the layer diagram', () => {
    const v = checkWorkspace(
      workspace("import { z } from '@osv-ts/libc';\nexport const y = z;\n", { '@osv-ts/libc': '0.1.0' }),
    );
    expect(v.map((e) => e.rule)).toEqual(['upward-dependency']);
    expect(v[0]!.message).toMatch(/core-sched \(layer 1\) must not depend on @osv-ts\/libc \(layer 6\)/);
  });

  it('flags node: imports and Node globals in a guest package, but not in its tests', () => {
    const src =
      "import { readFileSync } from 'node:fs';\nimport os from 'os';\nexport const y = process.env.X ?? Buffer.from('a') ?? __dirname ?? require('x');\n";
    const v = checkWorkspace(workspace(src));
    expect(v.map((e) => e.rule).sort()).toEqual([
      'node-global-in-guest',
      'node-global-in-guest',
      'node-global-in-guest',
      'node-global-in-guest',
      'node-import-in-guest',
      'node-import-in-guest',
    ]);
  });

  it('lets tests, but not sources, use a test-only package', () => {
    const deps = { '@osv-ts/kernel-api': '0.1.0', '@osv-ts/test-support': '0.1.0' };
    const root = workspace("import { ZfsFuse } from '@osv-ts/test-support';\nexport const y = ZfsFuse;\n", deps);
    const v = checkWorkspace(root);
    expect(v.map((e) => e.rule)).toEqual(['test-only-package']);
    writeFileSync(join(root, 'packages/core-sched/src/index.ts'), 'export const y = 1;\n');
    writeFileSync(
      join(root, 'packages/core-sched/src/pool.test.ts'),
      "import { ZfsFuse } from '@osv-ts/test-support';\nexport const t = ZfsFuse;\n",
    );
    expect(checkWorkspace(root)).toEqual([]);
  });

  it('does not mistake a local declaration or a property name for a Node global', () => {
    const src = 'const process = { env: 1 };\nexport const y = process.env;\nexport const o = { Buffer: 1 }.Buffer;\n';
    expect(checkWorkspace(workspace(src))).toEqual([]);
  });
});

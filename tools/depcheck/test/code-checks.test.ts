// The type, lint and format checks of `npm test` (scripts/code-checks.mjs) fail on a planted
// error, as the package rules do on a planted violation. Each case starts from a clean file the
// checks accept, so a failure is the plant's doing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ESM script without declarations; its shape is checked below.
import { CODE_CHECKS, checksFor } from '../../../scripts/code-checks.mjs';
import { workspacePackages } from '../src/check.js';

interface Step {
  name: string;
  cmd: string;
  args: string[];
}

const ROOT = join(import.meta.dirname, '..', '..', '..');
// Inside the repository, so that its eslint.config.mjs, .prettierrc.json and tsconfig.base.json apply.
const dir = mkdtempSync(join(ROOT, 'tools', 'depcheck', 'planted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify({ extends: '../../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['*.ts'] }),
);

const CLEAN = `export async function fetchValue(): Promise<number> {
  return Promise.resolve(1);
}

export async function main(): Promise<number> {
  const value = await fetchValue();
  return value + 1;
}
`;

/** Runs the checks on one planted file; returns the names of the failing checks and their output. */
function check(source: string): { failed: string[]; output: string } {
  const file = join(dir, 'planted.ts');
  writeFileSync(file, source);
  const failed: string[] = [];
  let output = '';
  for (const step of (checksFor as (d: string, f: string[]) => Step[])(relative(ROOT, dir), [relative(ROOT, file)])) {
    const r = spawnSync(step.cmd, step.args, { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) failed.push(step.name);
    output += r.stdout + r.stderr;
  }
  return { failed, output };
}

describe('npm test code checks', () => {
  it('accept a clean file', () => {
    const r = check(CLEAN);
    expect(r.failed, r.output).toEqual([]);
  });

  it('fail on a type error', () => {
    const r = check(CLEAN.replace('const value = await fetchValue();', 'const value: string = await fetchValue();'));
    expect(r.failed).toContain('types');
    expect(r.output).toMatch(/planted\.ts.*error TS2322/);
  });

  it('fail on an index read that may be undefined (noUncheckedIndexedAccess)', () => {
    const r = check(CLEAN + 'export const first = (xs: number[]): number => xs[0];\n');
    expect(r.failed).toContain('types');
    expect(r.output).toMatch(/TS2322/);
  });

  it('fail on a lint error only type information finds (a floating promise)', () => {
    const r = check(CLEAN.replace('const value = await fetchValue();', 'void 0;\n  fetchValue();\n  const value = 1;'));
    expect(r.failed).toEqual(['lint']);
    expect(r.output).toMatch(/no-floating-promises/);
  });

  it('fail on an eslint-disable comment without a reason', () => {
    const r = check(
      CLEAN.replace(
        'const value = await fetchValue();',
        '// eslint-disable-next-line @typescript-eslint/no-floating-promises\n  fetchValue();\n  const value = 1;',
      ),
    );
    expect(r.failed).toEqual(['lint']);
    expect(r.output).toMatch(/require-description/);
  });

  it('fail on a format error', () => {
    const r = check(CLEAN.replace('return value + 1;', 'return   value+1;'));
    expect(r.failed).toEqual(['format']);
    expect(r.output).toMatch(/planted\.ts/);
  });
});

describe('npm test covers every workspace', () => {
  const steps = CODE_CHECKS as Step[];

  it('runs types, lint and format over the whole repository', () => {
    expect(steps.map((s) => s.name)).toEqual(['types', 'types (configuration files)', 'lint', 'format']);
    expect(steps.find((s) => s.name === 'lint')!.args).toContain('.');
    expect(steps.find((s) => s.name === 'format')!.args).toContain('.');
    const testScript = readFileSync(join(ROOT, 'scripts', 'test.mjs'), 'utf8');
    expect(testScript).toMatch(/\.\.\.CODE_CHECKS/);
  });

  it('type-checks src, test and bench of every package', () => {
    for (const p of workspacePackages(ROOT)) {
      const pkg = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
      expect(pkg.scripts?.['typecheck'], p.name).toMatch(/tsc --noEmit -p tsconfig\.json/);
      const tsconfig = JSON.parse(readFileSync(join(p.dir, 'tsconfig.json'), 'utf8')) as { include?: string[] };
      expect(tsconfig.include, p.name).toEqual(expect.arrayContaining(['src', 'test', 'bench']));
    }
  });
});

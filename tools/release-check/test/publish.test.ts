// Every public package is publishable as packed: `npm publish --dry-run` accepts its tarball,
// and the tarball holds the LICENSE, README, CHANGELOG and every file its exports map and bin
// name.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { publicPackages } from '../src/workspace.js';

const project = inject('project');
const run = promisify(execFile);

function tarballFiles(tarball: string): Set<string> {
  return new Set(
    execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, '')),
  );
}

describe('the packed packages', () => {
  const packages = publicPackages();

  it('are every public package', () => {
    expect(Object.keys(project.tarballs).sort()).toEqual(packages.map((p) => p.json.name).sort());
  });

  it.each(packages.map((p) => [p.json.name, p] as const))(
    '%s holds its license, docs and exported files',
    (name, p) => {
      const files = tarballFiles(project.tarballs[name]!);
      for (const f of ['package.json', 'LICENSE', 'README.md', 'CHANGELOG.md']) expect(files, f).toContain(f);
      const targets = [
        ...Object.values(p.json.exports ?? {}).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))),
        ...Object.values(p.json.bin ?? {}),
      ];
      for (const t of targets) expect(files, `${name}: ${t}`).toContain(t.replace(/^\.\//, ''));
    },
  );

  it('pass npm publish --dry-run', async () => {
    const results = await Promise.all(
      packages.map(async (p) => {
        try {
          const r = await run('npm', ['publish', '--dry-run', '--ignore-scripts', project.tarballs[p.json.name]!], {
            cwd: project.dir,
            env: { ...process.env, npm_config_update_notifier: 'false' },
          });
          return {
            name: p.json.name,
            ok: /\+ @osv-ts\//.test(r.stdout) && /public access/.test(r.stderr),
            out: r.stderr,
          };
        } catch (e) {
          const err = e as { stdout?: string; stderr?: string };
          return { name: p.json.name, ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
        }
      }),
    );
    for (const r of results) expect(r.ok, `${r.name}:\n${r.out}`).toBe(true);
  }, 180_000);
});

// The package.json fields every public package needs on npm (CONTRIBUTING.md, "Add a
// package"), the LICENSE beside it, and the release configuration covering exactly the public
// packages.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicPackages, readPackageJson, REPO_ROOT, workspacePackages } from '../src/workspace.js';

const root = readPackageJson('.');
const license = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');

describe('the repository', () => {
  it('has a BSD-3-Clause LICENSE naming the osv-ts authors', () => {
    expect(license).toMatch(/^BSD 3-Clause License\n\nCopyright \(c\) \d{4}, The osv-ts authors\n/);
    expect(root.license).toBe('BSD-3-Clause');
  });

  it('releases exactly the public packages with nx release', () => {
    const nx = JSON.parse(readFileSync(join(REPO_ROOT, 'nx.json'), 'utf8')) as {
      release: { projects: string[]; projectsRelationship: string; versionPlans: boolean };
    };
    const released = workspacePackages().filter((p) =>
      nx.release.projects.some((g) => (g.endsWith('/*') ? p.dir.startsWith(g.slice(0, -1)) : p.dir === g)),
    );
    expect(released.map((p) => p.dir)).toEqual(publicPackages().map((p) => p.dir));
    expect(nx.release.projectsRelationship).toBe('independent');
    expect(nx.release.versionPlans).toBe(true);
  });
});

describe.each(workspacePackages().map((p) => [p.dir, p] as const))('%s', (dir, p) => {
  const json = p.json;

  it('carries the license, with the LICENSE file in its files', () => {
    expect(json.license).toBe('BSD-3-Clause');
    expect(readFileSync(join(REPO_ROOT, dir, 'LICENSE'), 'utf8')).toBe(license);
    expect(json.files).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'LICENSE']));
  });

  it('says where it comes from', () => {
    expect(json.repository).toEqual({ type: 'git', url: root.repository?.url, directory: dir });
    expect(json.homepage).toBe(`${root.homepage!.replace(/#readme$/, '')}/tree/main/${dir}#readme`);
    expect(json.bugs).toEqual(root.bugs);
    expect(json.keywords?.length).toBeGreaterThan(0);
    expect(json.engines?.node).toBe(root.engines?.node);
  });

  it('has exports with types first and a default condition beside import', () => {
    for (const [key, entry] of Object.entries(json.exports ?? {})) {
      if (typeof entry === 'string') continue;
      expect(Object.keys(entry), key).toEqual(['types', 'import', 'default']);
      expect(entry['default'], key).toBe(entry['import']);
    }
  });

  if (json.private === true) return;

  it('is published publicly, built by prepack and released by nx', () => {
    expect(json.publishConfig).toEqual({ access: 'public' });
    expect(json.scripts?.['prepack']).toBe(`nx run ${json.name}:build --output-style=static`);
    expect(json.files).toContain('dist');
    expect(json.nx?.targets?.['nx-release-publish']).toEqual({});
  });
});

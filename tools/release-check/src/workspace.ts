// The repository's packages as npm sees them: every workspace's package.json, which of them are
// published, the import specifiers their `exports` maps offer, and the READMEs the tests run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository root (this file is tools/release-check/src/workspace.ts). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  description?: string;
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  engines?: { node?: string };
  files?: string[];
  publishConfig?: { access?: string };
  scripts?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
  workspaces?: string[];
  nx?: { targets?: Record<string, unknown> };
}

export interface WorkspacePackage {
  /** Directory relative to the repository root, e.g. `packages/vfs`. */
  readonly dir: string;
  readonly json: PackageJson;
}

export function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Every workspace package, in directory order. */
export function workspacePackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const pattern of readPackageJson('.').workspaces ?? []) {
    const base = pattern.replace(/\/\*$/, '');
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(REPO_ROOT, base))
          .sort()
          .map((d) => join(base, d))
      : [base];
    for (const dir of dirs) {
      if (existsSync(join(REPO_ROOT, dir, 'package.json'))) out.push({ dir, json: readPackageJson(dir) });
    }
  }
  return out;
}

/** The packages that are published to npm. */
export function publicPackages(): WorkspacePackage[] {
  return workspacePackages().filter((p) => p.json.private !== true);
}

/** The import specifiers a package's exports map offers (`@osv-ts/vfs`, `@osv-ts/vfs/bootfs`, …). */
export function exportSpecifiers(json: PackageJson, options: { withPackageJson?: boolean } = {}): string[] {
  return Object.keys(json.exports ?? { '.': '' })
    .filter((k) => options.withPackageJson === true || k !== './package.json')
    .map((k) => (k === '.' ? json.name : `${json.name}/${k.slice(2)}`));
}

/** The READMEs whose examples and console sessions the tests run: the root's and every package's. */
export function readmes(): string[] {
  return ['README.md', ...workspacePackages().map((p) => join(p.dir, 'README.md'))].filter((f) =>
    existsSync(join(REPO_ROOT, f)),
  );
}

export function repoRelative(path: string): string {
  return relative(REPO_ROOT, path);
}

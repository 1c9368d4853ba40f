// The kernel modules every installed @osv-ts package declares under "osv" in its package.json.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCapability, type ModuleDeclaration, type PackageModules } from '@osv-ts/kernel-api';

export interface CatalogEntry extends ModuleDeclaration {
  /** Package name, e.g. @osv-ts/drivers-virtio. */
  readonly packageName: string;
  /** Import specifier of the module entry, e.g. @osv-ts/drivers-virtio/console-module. */
  readonly specifier: string;
  readonly packageDir: string;
}

export const KERNEL_PACKAGES = [
  '@osv-ts/kernel-api',
  '@osv-ts/core-sched',
  '@osv-ts/drivers-virtio',
  '@osv-ts/vfs',
  '@osv-ts/netstack',
  '@osv-ts/httpserver-api',
  '@osv-ts/zfs',
  '@osv-ts/elf-linker',
  '@osv-ts/libc',
  '@osv-ts/kernel',
] as const;

const require = createRequire(import.meta.url);

const packageDirs = new Map<string, string>();
const here = dirname(fileURLToPath(import.meta.url));

/**
 * The installed package's directory: the first `node_modules/NAME` with a package.json from
 * this file's directory upwards, which is where Node's resolution finds a dependency (Node.js
 * modules: "Loading from node_modules folders"); require.resolve only when that finds none. A
 * cold require.resolve of the nine kernel packages costs ~4 ms, more than osv run -i spends
 * on everything else before it starts the worker.
 */
export function packageDir(name: string): string {
  let dir = packageDirs.get(name);
  if (dir !== undefined) return dir;
  for (let d = here; dir === undefined; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) dir = candidate;
    else if (dirname(d) === d) dir = dirname(require.resolve(`${name}/package.json`));
  }
  packageDirs.set(name, dir);
  return dir;
}

export function loadCatalog(packages: readonly string[] = KERNEL_PACKAGES): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  for (const name of packages) {
    const dir = packageDir(name);
    const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { osv?: PackageModules };
    for (const m of pkg.osv?.modules ?? []) {
      checkCapabilityNames(m, `${name}'s package.json`);
      if (m.realm !== undefined && m.realm !== 'hardened')
        throw new ModuleDeclarationError(
          `${name}'s package.json: module ${m.name} asks for realm '${String(m.realm)}'; the only realm is 'hardened'`,
        );
      out.push({ ...m, packageName: name, specifier: `${name}/${m.entry.replace(/^\.\//, '')}`, packageDir: dir });
    }
  }
  return out;
}

export class ModuleDeclarationError extends Error {
  override readonly name = 'ModuleDeclarationError';
}

/**
 * Refuses a declaration naming a capability kernel-api's CAPABILITIES does not list: a name no
 * one declares (a typo, `posix-sockets` for `posix:sockets`) would otherwise select nothing.
 */
export function checkCapabilityNames(m: ModuleDeclaration, where: string): void {
  for (const field of ['provides', 'requires'] as const)
    for (const cap of (m[field] ?? []) as readonly string[])
      if (!isCapability(cap))
        throw new ModuleDeclarationError(
          `${where}: module ${m.name} ${field} '${cap}', a capability no one declares (kernel-api's CAPABILITIES)`,
        );
}

/** The file system types the catalog's modules provide (`fs:rofs` → `rofs`), sorted. */
export function fileSystemTypes(catalog: readonly CatalogEntry[]): string[] {
  const types = new Set<string>();
  for (const m of catalog) for (const p of m.provides) if (p.startsWith('fs:')) types.add(p.slice(3));
  return [...types].sort();
}

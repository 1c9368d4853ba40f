// Each module's share of a kernel bundle, measured the way the linker tailors kernels: a
// module's share is what the bundle loses when that module alone is left out (esbuild
// tree-shakes what no linked module uses, so a module's cost includes the library code only it
// reaches). The kernel core is the bundle with no module at all; code that several modules use,
// and that leaving any one of them out keeps, is "shared".
import type { Target } from '@osv-ts/kernel-api';
import { bundleOptions, kernelEntrySource } from './kernel-bundle.js';
import type { CatalogEntry } from './module-catalog.js';

export interface SizeReport {
  /** The bundle's size in bytes. */
  readonly totalBytes: number;
  /** By module name: how many bytes the bundle loses without that module. */
  readonly modules: Readonly<Record<string, number>>;
  /** The kernel core: the bundle of the entry with no modules. */
  readonly coreBytes: number;
  /** What the total holds beyond the core and the modules' own shares. */
  readonly sharedBytes: number;
}

export async function measureKernel(modules: readonly CatalogEntry[], target: Target): Promise<SizeReport> {
  const { build } = await import('esbuild');
  const size = async (linked: readonly CatalogEntry[]): Promise<number> =>
    (await build(bundleOptions(kernelEntrySource(linked, target), target))).outputFiles[0]!.contents.length;
  const totalBytes = await size(modules);
  const coreBytes = await size([]);
  const shares: Record<string, number> = {};
  for (const m of modules) shares[m.name] = totalBytes - (await size(modules.filter((o) => o !== m)));
  const own = Object.values(shares).reduce((a, b) => a + b, 0);
  return { totalBytes, modules: shares, coreBytes, sharedBytes: totalBytes - coreBytes - own };
}

// Module selection (docs/architecture.md §4): start from the capabilities the app needs, pick a
// module for each that runs on the target, add what those modules require, and order the
// result so every module initialises after the modules it requires.
import type { Target } from '@osv-ts/kernel-api';
import type { CatalogEntry } from './module-catalog.js';

/** Capabilities the kernel core provides itself on each target (no module needed). */
export const PLATFORM_CAPABILITIES: Record<Target, readonly string[]> = {
  'vm-node': ['virtio-mmio', 'scheduler', 'page-allocator', 'clock', 'entropy'],
  'vm-browser': ['virtio-mmio', 'scheduler', 'page-allocator', 'clock', 'entropy'],
  inprocess: ['scheduler', 'clock', 'entropy', 'console'],
};

export class ModuleSelectionError extends Error {
  override readonly name = 'ModuleSelectionError';
}

export interface Selection {
  readonly modules: CatalogEntry[];
  /** Capabilities the app would use that no linked module provides (its calls get ENOSYS). */
  readonly unavailable: string[];
}

export function selectModules(
  catalog: readonly CatalogEntry[],
  target: Target,
  required: readonly string[],
  optional: readonly string[] = [],
  /** Module names to prefer when several provide a capability. */
  prefer: readonly string[] = [],
): Selection {
  const provided = new Set(PLATFORM_CAPABILITIES[target]);
  const chosen = new Map<string, CatalogEntry>();
  const unavailable: string[] = [];
  const candidates = (cap: string): CatalogEntry[] =>
    catalog
      .filter((m) => m.provides.includes(cap) && (!m.targets || m.targets.includes(target)))
      .sort((a, b) => rank(b) - rank(a));
  const rank = (m: CatalogEntry): number => (prefer.includes(m.name) ? 1 : 0);

  const need = (cap: string, from: string, mandatory: boolean): void => {
    if (provided.has(cap)) return;
    const pick = candidates(cap)[0];
    if (!pick) {
      if (mandatory)
        throw new ModuleSelectionError(`no kernel module provides '${cap}' for target ${target} (needed by ${from})`);
      unavailable.push(cap);
      return;
    }
    if (chosen.has(pick.name)) return;
    chosen.set(pick.name, pick);
    for (const p of pick.provides) provided.add(p);
    for (const r of pick.requires ?? []) need(r, pick.name, true);
  };
  for (const cap of required) need(cap, 'the kernel', true);
  for (const cap of optional) need(cap, 'the app', false);
  return { modules: topologicalOrder([...chosen.values()], target), unavailable };
}

function topologicalOrder(modules: CatalogEntry[], target: Target): CatalogEntry[] {
  const byCap = new Map<string, CatalogEntry>();
  for (const m of modules) for (const p of m.provides) byCap.set(p, m);
  const platform = new Set(PLATFORM_CAPABILITIES[target]);
  const out: CatalogEntry[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: CatalogEntry): void => {
    const s = state.get(m.name);
    if (s === 'done') return;
    if (s === 'visiting')
      throw new ModuleSelectionError(`kernel modules require each other in a cycle through ${m.name}`);
    state.set(m.name, 'visiting');
    for (const r of m.requires ?? []) {
      if (platform.has(r)) continue;
      const dep = byCap.get(r);
      if (dep) visit(dep);
    }
    state.set(m.name, 'done');
    out.push(m);
  };
  for (const m of [...modules].sort((a, b) => a.name.localeCompare(b.name))) visit(m);
  return out;
}

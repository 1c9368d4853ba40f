// Module selection (docs/architecture.md §4): start from what the app needs, pick a module for
// each capability that runs on the profile's target, add what those modules require, and order
// the result so every module initialises after the modules it requires. What the profile offers
// (its core's services, its transport, its devices) needs no module. Every module in a selection
// is there for a reason the selection records: a need, or the requirement of another module.
import { allowsManyProviders, type Capability } from '@osv-ts/kernel-api';
import type { CatalogEntry } from './module-catalog.js';
import { profileCapabilities, type Profile } from './profile.js';

export class ModuleSelectionError extends Error {
  override readonly name = 'ModuleSelectionError';
}

/** A capability the kernel should provide, and why (an import, an option, a manifest entry). */
export interface Need {
  readonly capability: Capability;
  readonly reason: string;
  /** Left out (the app's calls return ENOSYS) rather than refused when nothing can provide it. */
  readonly optional?: boolean;
}

export interface SelectedModule {
  readonly module: CatalogEntry;
  /** Why it is linked: `wasi:fs ← imports wasi_snapshot_preview1.path_open`, `vfs ← wasi-fs`. */
  readonly reason: string;
}

export interface Selection {
  /** In initialisation order. */
  readonly selected: readonly SelectedModule[];
  readonly modules: readonly CatalogEntry[];
  /** Optional needs nothing could provide here, with why each was wanted. */
  readonly unavailable: readonly Need[];
}

export interface SelectOptions {
  /** Modules to prefer when several provide a capability. */
  readonly prefer?: readonly string[];
  /** Modules to link whether needed or not (`--modules +name`). */
  readonly include?: readonly string[];
  /** Modules never to link (`--modules -name`). */
  readonly exclude?: readonly string[];
  /** Link every module that can run on the profile (the universal kernel). */
  readonly all?: boolean;
}

export function selectModules(
  catalog: readonly CatalogEntry[],
  profile: Profile,
  needs: readonly Need[],
  options: SelectOptions = {},
): Selection {
  const offered = profileCapabilities(profile);
  const exclude = new Set(options.exclude ?? []);
  const prefer = options.prefer ?? [];
  for (const name of [...(options.include ?? []), ...exclude])
    if (!catalog.some((m) => m.name === name))
      throw new ModuleSelectionError(`no kernel module is named '${name}' (modules: ${moduleNames(catalog)})`);
  const runsHere = (m: CatalogEntry): boolean => !m.targets || m.targets.includes(profile.target);
  let chosen = new Map<string, SelectedModule>();

  const provider = (cap: Capability): CatalogEntry | undefined =>
    [...chosen.values()].find((s) => s.module.provides.includes(cap))?.module;
  // Why `m` cannot join the modules chosen so far, if it cannot.
  const clash = (m: CatalogEntry): string | undefined => {
    for (const { module: c } of chosen.values()) {
      if (c.conflicts?.includes(m.name) || m.conflicts?.includes(c.name)) return `${m.name} conflicts with ${c.name}`;
      const both = m.provides.find((p) => !allowsManyProviders(p) && c.provides.includes(p));
      if (both) return `${m.name} and ${c.name} both provide '${both}', which a kernel has one of`;
    }
    return undefined;
  };
  // Adds `m` and what it requires, or throws and leaves `chosen` as it was.
  const add = (m: CatalogEntry, reason: string): void => {
    if (chosen.has(m.name)) return;
    if (exclude.has(m.name))
      throw new ModuleSelectionError(`${m.name} (${reason}) is excluded by --modules -${m.name}`);
    if (!runsHere(m)) throw new ModuleSelectionError(`${m.name} (${reason}) does not run on target ${profile.target}`);
    const why = clash(m);
    if (why) throw new ModuleSelectionError(why);
    const before = chosen;
    chosen = new Map(chosen).set(m.name, { module: m, reason });
    try {
      for (const r of m.requires ?? []) need({ capability: r, reason: m.name });
    } catch (e) {
      chosen = before;
      throw e;
    }
  };
  // Satisfies `n` from the profile, a chosen module, or the first alternative that fits.
  const need = (n: Need): void => {
    if (offered.has(n.capability) || provider(n.capability)) return;
    const alternatives = catalog
      .filter((m) => m.provides.includes(n.capability) && runsHere(m) && !exclude.has(m.name))
      .sort((a, b) => Number(prefer.includes(b.name)) - Number(prefer.includes(a.name)));
    const failures: string[] = [];
    for (const m of alternatives) {
      try {
        add(m, `${n.capability} ← ${n.reason}`);
        return;
      } catch (e) {
        if (!(e instanceof ModuleSelectionError)) throw e;
        failures.push(e.message);
      }
    }
    if (n.optional) return;
    if (failures.length > 0) throw new ModuleSelectionError(failures[0]);
    const excluded = catalog.filter((m) => m.provides.includes(n.capability) && runsHere(m) && exclude.has(m.name));
    if (excluded.length > 0)
      throw new ModuleSelectionError(
        `'${n.capability}' (needed by ${n.reason}) comes only from ${excluded.map((m) => m.name).join(', ')}, which --modules ${excluded.map((m) => `-${m.name}`).join(',')} excludes`,
      );
    const device = n.capability.startsWith('device:');
    throw new ModuleSelectionError(
      device
        ? `profile ${profile.name} attaches no ${n.capability.slice(7)} device (needed by ${n.reason})`
        : `no kernel module provides '${n.capability}' on profile ${profile.name} (needed by ${n.reason})`,
    );
  };

  for (const n of needs) need(n);
  for (const name of options.include ?? [])
    add(
      catalog.find((m) => m.name === name)!,
      `--modules +${name}`,
    );
  if (options.all) {
    for (const m of catalog) {
      if (!runsHere(m) || exclude.has(m.name)) continue;
      try {
        add(m, '--all');
      } catch (e) {
        if (!(e instanceof ModuleSelectionError)) throw e;
        // A module the profile cannot carry (its device is not attached) is left out of --all too.
      }
    }
  }
  const unavailable = needs.filter((n) => !offered.has(n.capability) && !provider(n.capability));
  const selected = initialisationOrder([...chosen.values()], offered);
  return { selected, modules: selected.map((s) => s.module), unavailable };
}

function moduleNames(catalog: readonly CatalogEntry[]): string {
  return [...new Set(catalog.map((m) => m.name))].sort().join(', ');
}

/** Modules after every chosen module that provides what they require; ties by name. */
function initialisationOrder(modules: SelectedModule[], offered: ReadonlySet<Capability>): SelectedModule[] {
  const out: SelectedModule[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: SelectedModule): void => {
    const st = state.get(s.module.name);
    if (st === 'done') return;
    if (st === 'visiting')
      throw new ModuleSelectionError(`kernel modules require each other in a cycle through ${s.module.name}`);
    state.set(s.module.name, 'visiting');
    for (const r of s.module.requires ?? []) {
      if (offered.has(r)) continue;
      for (const dep of modules) if (dep.module.provides.includes(r)) visit(dep);
    }
    state.set(s.module.name, 'done');
    out.push(s);
  };
  for (const s of [...modules].sort((a, b) => a.module.name.localeCompare(b.module.name))) visit(s);
  return out;
}

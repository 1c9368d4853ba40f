// Kernel modules: how packages declare the pieces a kernel is composed from (docs/architecture.md §4).
import type { Capability } from './capability.js';
import type { Realm } from './hardened-realm.js';

/** Where a composed kernel runs (docs/architecture.md §1). */
export type Target = 'vm-node' | 'vm-browser' | 'inprocess';

/**
 * One kernel module, as a package declares it under `"osv": { "modules": [...] }` in its
 * package.json. The module linker reads these declarations, resolves the closure of
 * `requires` from what the app needs, and bundles only the selected entries.
 */
export interface ModuleDeclaration {
  /** Unique module name, e.g. `virtio-console`. */
  name: string;
  /** Package export (subpath) whose default export is the `KernelModule`, e.g. `./console-driver`. */
  entry: string;
  /**
   * Capabilities this module provides, e.g. `console`, `blockdev`, `fs:rofs`: what it registers
   * with ModuleContext.provide, and the link-time names (`fs:rofs`, `hwrng`) it stands for.
   */
  provides: Capability[];
  /** Capabilities the platform, the profile's devices or another module must provide. */
  requires?: Capability[];
  /** Modules that cannot be linked into the same kernel as this one (by name). */
  conflicts?: string[];
  /** Targets the module works on; all when absent. */
  targets?: Target[];
  /** Short description printed by `osv build`. */
  description?: string;
  /**
   * The realm the module needs the kernel to run in: `hardened` — locked down by SES with
   * HARDENED_REALM_OPTIONS. On vm-node the VMM's vCPU worker does it before the kernel's first
   * line (the bundle then links no SES of its own); elsewhere the module does it when it first
   * needs it.
   */
  realm?: Realm;
}

/** The `"osv"` field of a package.json. */
export interface PackageModules {
  modules: ModuleDeclaration[];
}

/**
 * The services a kernel exposes to its modules while they initialise: a registry keyed by
 * capability name. A module `provide`s what its declaration promises and `get`s what it requires.
 */
export interface ModuleContext {
  provide<T>(capability: Capability, service: T): void;
  get<T>(capability: Capability): T;
  tryGet<T>(capability: Capability): T | undefined;
  /** All services registered for a capability (several block devices, several NICs). */
  getAll<T>(capability: Capability): T[];
}

/** The runtime object a module entry exports by default. */
export interface KernelModule {
  readonly name: string;
  /** Called once, in dependency order, during boot. */
  init(ctx: ModuleContext): void;
}

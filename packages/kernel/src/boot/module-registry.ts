// The kernel's service registry: what modules provide and require while they initialise
// (kernel-api's ModuleContext).
import type { Capability, KernelModule, ModuleContext } from '@osv-ts/kernel-api';

export class ModuleRegistry implements ModuleContext {
  private readonly services = new Map<Capability, unknown[]>();
  readonly initialised: string[] = [];

  provide<T>(capability: Capability, service: T): void {
    let list = this.services.get(capability);
    if (!list) this.services.set(capability, (list = []));
    list.push(service);
  }

  get<T>(capability: Capability): T {
    const s = this.tryGet<T>(capability);
    if (s === undefined)
      throw new Error(`no kernel module provides '${capability}' (linked: ${this.initialised.join(', ') || 'none'})`);
    return s;
  }

  tryGet<T>(capability: Capability): T | undefined {
    return this.services.get(capability)?.[0] as T | undefined;
  }

  getAll<T>(capability: Capability): T[] {
    return (this.services.get(capability) ?? []) as T[];
  }

  /** Initialises modules in the order given (the linker sorts them by dependency). */
  initAll(modules: readonly KernelModule[]): void {
    for (const m of modules) {
      m.init(this);
      this.initialised.push(m.name);
    }
  }
}

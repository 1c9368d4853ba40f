// What an app needs from the kernel, as linker Needs: a WebAssembly app's from its import
// section through the IMPORT_CAPABILITIES table; every app needs a console.
import type { WasmModuleInfo } from '@osv-ts/elf-linker';
import type { Capability } from '@osv-ts/kernel-api';
import { IMPORT_CAPABILITIES } from './import-capabilities.js';
import type { Need } from './select-modules.js';

export interface AppNeeds {
  /** Capabilities the kernel must provide. */
  readonly capabilities: Capability[];
  /** One need per capability, naming the first import that asked for it. */
  readonly needs: Need[];
}

const CONSOLE: Need = { capability: 'console', reason: 'every app has stdin/stdout/stderr' };

function fromNeeds(needs: Need[]): AppNeeds {
  return { capabilities: needs.map((n) => n.capability), needs };
}

export function appNeeds(info: WasmModuleInfo): AppNeeds {
  const needs = new Map<Capability, Need>([['console', CONSOLE]]);
  for (const imp of info.imports) {
    const cap = IMPORT_CAPABILITIES.get(`${imp.module}.${imp.name}`);
    if (cap && !needs.has(cap)) needs.set(cap, { capability: cap, reason: `imports ${imp.module}.${imp.name}` });
  }
  return fromNeeds([...needs.values()]);
}

/**
 * What a JS-module app needs. A JS app has no import section to read, so the rule is fixed and
 * documented: it always gets the kernel's js-app module (the SES compartment it runs in, libc's
 * Posix) and the VFS (Posix's file calls), and it gets the network stack with the BSD socket
 * layer when the run asks for a network (-n or --tcplisten).
 */
export function jsAppNeeds(options: { networking: boolean }): AppNeeds {
  const needs: Need[] = [
    CONSOLE,
    { capability: 'vfs', reason: "a JS app's libc has the file calls" },
    { capability: 'app:js', reason: "a JS app runs through the kernel's js-app module, in an SES compartment" },
  ];
  if (options.networking)
    needs.push({
      capability: 'posix:sockets',
      reason: 'a JS app on a networked VM (-n/--tcplisten) gets the socket calls',
    });
  return fromNeeds(needs);
}

/** The needs of one link, in the order they were found; the first reason for a capability stays. */
export class NeedList {
  private readonly byCapability = new Map<Capability, Need>();

  add(capability: Capability, reason: string, optional = false): this {
    const had = this.byCapability.get(capability);
    if (!had) this.byCapability.set(capability, { capability, reason, ...(optional ? { optional } : {}) });
    else if (had.optional && !optional) this.byCapability.set(capability, { capability, reason });
    return this;
  }

  addAll(needs: readonly Need[]): this {
    for (const n of needs) this.add(n.capability, n.reason, n.optional);
    return this;
  }

  has(capability: Capability): boolean {
    return this.byCapability.has(capability);
  }

  list(): Need[] {
    return [...this.byCapability.values()];
  }
}

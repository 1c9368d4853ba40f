// The confinement JS apps run in (docs/isolation.md). A vCPU worker is a Node realm: `import()`,
// the Function constructors and the global object reach every host API from any code in it, so
// a guest app must not run as plain code there. SES (Hardened JavaScript, from npm `ses`):
//   - lockdown() freezes the realm's shared intrinsics and tames them: Function.prototype.
//     constructor and its async/generator siblings throw, Error stacks are hidden from
//     compartments (they name host paths), Date.now/Math.random throw unless endowed;
//   - a Compartment is a global object of its own whose code is always strict, whose eval and
//     Function evaluate in that compartment, and whose sources are refused when they contain an
//     `import(` expression or an HTML comment (SES censorship, as no host import hook exists);
//   - its only names are the shared intrinsics (Object, Array, JSON, typed arrays, …) and the
//     endowments given here.
// The kernel stays in the start compartment; its objects handed to the app (libc's calls, their
// results and errors) have only frozen intrinsics on their prototype chains. Lockdown costs
// ~10 ms (and SES's ~500 KiB of source ~7 ms to load), so on vm-node the VMM's vCPU worker does
// both before the kernel's first line — started while the host still prepares the machine —
// and the composed bundle's `ses` is a check that it did (tools/osv linker); inprocess and in
// browsers the realm is locked down here, when the first JS app of the boot is evaluated. A
// kernel without the js-app module (every wasm app) never loads SES.
import 'ses';
import { HARDENED_REALM_OPTIONS } from '@osv-ts/kernel-api';

let lockedDown = false;

/**
 * Locks the realm down (once; later calls return at once). A realm the host locked down before
 * the kernel started (HARDENED_REALM_OPTIONS too) has a frozen Object.prototype: nothing else
 * freezes it, and lockdown() may run only once a realm.
 */
export function lockdownRealm(): void {
  if (lockedDown) return;
  if (!Object.isFrozen(Object.prototype)) lockdown(HARDENED_REALM_OPTIONS);
  lockedDown = true;
}

export interface AppCompartment {
  /** Evaluates a script in the compartment (strict, censored) and returns its completion value. */
  evaluate(source: string): unknown;
}

/**
 * A fresh compartment whose global object holds the shared intrinsics and `endowments` (frozen
 * with harden() first). Locks the realm down if it is not yet.
 */
export function appCompartment(name: string, endowments: Record<string, unknown>): AppCompartment {
  lockdownRealm();
  // ses's typings say Map; the shim (and its documentation) take a plain record of globals.
  const globals = harden(endowments) as unknown as Map<string, unknown>;
  return new Compartment({ __options__: true, name, globals });
}

/** harden() for objects the kernel hands to an app (frozen, with everything reachable). */
export function hardenForApp<T>(value: T): T {
  lockdownRealm();
  return harden(value);
}

/**
 * The stack of an error thrown by app code, as the start compartment may read it (errorTaming
 * 'safe' gives `error.stack` as ''); the name and message alone when there is none.
 */
export function describeError(e: Error): string {
  const getStackString = (globalThis as { getStackString?: (e: Error) => string }).getStackString;
  const frames = lockedDown && getStackString ? getStackString(e) : (e.stack ?? '').replace(/^[^\n]*/, '');
  return `${e.name}: ${e.message}${frames}`;
}

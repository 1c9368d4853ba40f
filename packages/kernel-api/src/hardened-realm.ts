// The realm a kernel runs in when one of its modules declares `realm: 'hardened'` (the js-app
// module: JS apps run in SES Compartments, docs/isolation.md). SES's lockdown() is realm-wide
// and can run once, so whoever runs it first — the VMM's vCPU worker before the kernel's first
// line (vm-node), or the kernel itself (inprocess, vm-browser) — must give the same options.

/** The realms a module can ask for (ModuleDeclaration.realm). */
export type Realm = 'hardened';

/** SES lockdown() options of the hardened realm; each says what it protects. */
export const HARDENED_REALM_OPTIONS = Object.freeze({
  // error.stack is '' for compartments: stacks name host paths.
  errorTaming: 'safe',
  // Assignments such as `err.name = …` over frozen prototype properties keep working.
  overrideTaming: 'moderate',
  // The worker's console is not endowed to apps; leave it (and the test runner's) unwrapped.
  consoleTaming: 'unsafe',
  // SES reports removed non-standard intrinsics on the console; the guest's output is the app's.
  reporting: 'none',
} as const);

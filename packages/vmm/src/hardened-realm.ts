// The vCPU worker's lockdown of its own realm, as bootstrap source (the bootstraps are CommonJS
// run with `eval`, so this is text). SES comes from the installed `ses` package, resolved on the
// host; the options are kernel-api's HARDENED_REALM_OPTIONS, which the kernel's js-app module
// would otherwise give lockdown() itself (lockdown() runs once a realm).

/**
 * Source declaring `hardenRealm(realm)`: loads SES from `realm.ses` and calls lockdown() with
 * `realm.options` (HardenedRealmData), once.
 */
export function hardenRealmSource(): string {
  return `let realmHardened = false;
function hardenRealm(realm) {
  if (realmHardened) return;
  realmHardened = true;
  require(realm.ses);
  lockdown(realm.options);
}`;
}

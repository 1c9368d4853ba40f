// The kernel `osv run -i` boots: composed here, from the installed packages, as the image's
// recorded identity names it — never the bundle stored in the image, which is bytes from the
// image and would run in the vCPU worker with every Node API (docs/isolation.md).
//
// The run vouches for the image's kernel only when it can reproduce it: the identity parses,
// names this target, packages at the installed versions and modules the installed packages
// provide, and the bundle composed from them has the SHA-256 the identity records — which the
// image's stored bundle must have too (else the boot partition was changed after osv build).
// Anything else is a KernelTrustError: one line, exit 1, nothing run. A kernel once composed
// (by osv build or a run) is filed in the private cache under its SHA-256, so the next run of
// an image naming it skips composing (and the content hash of every package's build output).
import { readFileSync } from 'node:fs';
import type { Target } from '@osv-ts/kernel-api';
import type { BootRecord } from '@osv-ts/vmm';
import {
  codeCachePath,
  composeKernel,
  needsHardenedRealm,
  sealedCodeSha256,
  composedKernelPath,
  filedIntact,
  rememberComposedKernel,
  type KernelBundle,
} from './kernel-bundle.js';
import {
  KernelIdentityError,
  installedComposer,
  installedKernelPackages,
  parseKernelIdentity,
  sha256Hex,
  type KernelIdentity,
} from './kernel-identity.js';
import { loadCatalog, type CatalogEntry } from './module-catalog.js';

export class KernelTrustError extends Error {
  override readonly name = 'KernelTrustError';
}

export interface ImageKernel {
  readonly bundle: KernelBundle;
  readonly identity: KernelIdentity;
}

const short = (sha: string): string => `sha256:${sha.slice(0, 16)}`;

export async function composeImageKernel(
  image: string,
  record: BootRecord,
  target: Target = 'vm-node',
): Promise<ImageKernel> {
  const refuse = (why: string): never => {
    throw new KernelTrustError(`cannot boot ${image}: ${why}`);
  };
  if (record.kernelIdentity === undefined)
    return refuse(
      'its boot record (version 1) names no kernel identity, and osv runs only kernels it composes ' +
        'itself from the installed packages: rebuild the image with osv build',
    );
  let identity: KernelIdentity;
  try {
    identity = parseKernelIdentity(record.kernelIdentity);
  } catch (e) {
    if (e instanceof KernelIdentityError) return refuse(e.message);
    throw e;
  }
  const storedSha = sha256Hex(record.kernel);
  if (storedSha !== identity.bundleSha256)
    refuse(
      `its stored kernel bundle (${short(storedSha)}) is not the one its identity records ` +
        `(${short(identity.bundleSha256)}): the boot partition was changed after osv build`,
    );
  if (identity.target !== target) refuse(`its kernel is for target ${identity.target}, this VMM runs ${target}`);
  // Every installed kernel package, at its installed version, and no other: an identity that
  // leaves one out must not pass for a kernel of today's packages (an old kernel still filed in
  // the cache would otherwise outlive the upgrade that fixed it).
  const installed = installedKernelPackages();
  for (const name of Object.keys(identity.packages))
    if (!(name in installed)) refuse(`its kernel was composed from ${name}, which is not a kernel package here`);
  for (const [name, have] of Object.entries(installed)) {
    const version = identity.packages[name];
    if (version === undefined) refuse(`its identity names no version of ${name}`);
    if (version !== have)
      refuse(`its kernel was composed from ${name} ${version}; installed is ${have}: rebuild the image with osv build`);
  }
  const catalog = loadCatalog();
  const modules = identity.modules.map((name): CatalogEntry => {
    const m = catalog.find((c) => c.name === name && (!c.targets || c.targets.includes(target)));
    return m ?? refuse(`its kernel names module '${name}', which no installed package provides for ${target}`);
  });
  // This osv composed that very kernel before (osv build, an earlier run): run it as it was
  // filed, unless the file no longer has the recorded SHA-256 (a damaged cache is composed again).
  const known = composedKernelPath(identity.bundleSha256);
  if (filedIntact(known, identity.bundleSha256)) {
    const bundle = {
      path: known,
      sizeBytes: record.kernel.length,
      hash: storedSha.slice(0, 16),
      cached: true,
      modules: identity.modules,
      hardenedRealm: needsHardenedRealm(modules),
      // The filed kernel's bytes are the stored bundle's (same SHA-256), seal line included.
      codeCachePath: codeCachePath(sealedCodeSha256(record.kernel) ?? identity.bundleSha256),
    };
    return { bundle, identity };
  }
  const bundle = await composeKernel(modules, target);
  const composed = readFileSync(bundle.path);
  // The stored bundle hashes to the recorded SHA-256 (checked above): equal bytes, equal hash.
  if (!composed.equals(record.kernel)) {
    const composedSha = sha256Hex(composed);
    const composer = installedComposer();
    const differs =
      composer.osv !== identity.composer.osv || composer.esbuild !== identity.composer.esbuild
        ? ` (it was composed by osv ${identity.composer.osv} with esbuild ${identity.composer.esbuild}; ` +
          `here osv ${composer.osv}, esbuild ${composer.esbuild})`
        : ' (same versions, another build of the packages)';
    refuse(
      `the installed packages compose ${short(composedSha)} from its modules, not the ${short(identity.bundleSha256)} ` +
        `it records${differs}: rebuild the image with osv build`,
    );
  }
  rememberComposedKernel(bundle.path, identity.bundleSha256);
  return { bundle, identity };
}

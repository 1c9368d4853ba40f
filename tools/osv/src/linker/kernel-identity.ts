// A kernel's identity: what `osv build` records in an image's boot partition so that `osv run
// -i` can compose the same kernel from the installed packages instead of running bytes taken
// from the image (docs/isolation.md). It names everything the composed bundle is a function of:
// the target, the module list in link order, the version of every kernel package, and the
// composer (this tool's version and esbuild's); plus the SHA-256 of the bundle it produced,
// which the run compares byte for byte with its own composition.
//
// The identity arrives from an image, so parseKernelIdentity validates every field before any
// of it is used, and names the field it refuses.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Target } from '@osv-ts/kernel-api';
import { KERNEL_PACKAGES, packageDir } from './module-catalog.js';

export const KERNEL_IDENTITY_FORMAT = 'osv-ts-kernel/1';

export interface KernelIdentity {
  readonly format: typeof KERNEL_IDENTITY_FORMAT;
  readonly target: Target;
  /** Module names in link (initialisation) order. */
  readonly modules: readonly string[];
  /** Version of every kernel package the bundle may draw code from. */
  readonly packages: Readonly<Record<string, string>>;
  /** What turned the modules into the bundle: this tool (the entry it generates) and esbuild. */
  readonly composer: { readonly osv: string; readonly esbuild: string };
  /** SHA-256 (hex) of the bundle's bytes. */
  readonly bundleSha256: string;
  /**
   * The hypervisor profile the modules were selected for (osv build --profile), as OSv keeps its
   * build configuration with the kernel; absent in images written before it was recorded.
   */
  readonly profile?: string;
}

export class KernelIdentityError extends Error {
  override readonly name = 'KernelIdentityError';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`kernel identity: ${field}: ${detail}`);
  }
}

const require = createRequire(import.meta.url);
const versionOf = (packageJson: string): string =>
  (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

/** Versions of the installed kernel packages. */
export function installedKernelPackages(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KERNEL_PACKAGES) out[name] = versionOf(`${packageDir(name)}/package.json`);
  return out;
}

/** Versions of the installed composer: this tool and the esbuild it bundles with. */
export function installedComposer(): { osv: string; esbuild: string } {
  return {
    osv: versionOf(`${packageDir('@osv-ts/osv')}/package.json`),
    esbuild: versionOf(require.resolve('esbuild/package.json')),
  };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The identity of a bundle just composed from the installed packages. */
export function identifyKernel(
  target: Target,
  modules: readonly string[],
  bundle: Uint8Array,
  profile?: string,
): KernelIdentity {
  return {
    format: KERNEL_IDENTITY_FORMAT,
    target,
    modules: [...modules],
    packages: installedKernelPackages(),
    composer: installedComposer(),
    bundleSha256: sha256Hex(bundle),
    ...(profile !== undefined ? { profile } : {}),
  };
}

export function encodeKernelIdentity(identity: KernelIdentity): string {
  return JSON.stringify(identity);
}

const MODULE_NAME = /^[a-z0-9][a-z0-9:-]{0,63}$/;
const PACKAGE_NAME = /^@osv-ts\/[a-z0-9-]{1,64}$/;
// semver 2.0 §2, §9, §10: MAJOR.MINOR.PATCH with optional pre-release and build parts.
const VERSION = /^\d{1,9}\.\d{1,9}\.\d{1,9}(?:-[0-9A-Za-z.-]{1,64})?(?:\+[0-9A-Za-z.-]{1,64})?$/;
const TARGETS: readonly Target[] = ['vm-node', 'vm-browser', 'inprocess'];
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Parses and validates an identity read from an image. */
export function parseKernelIdentity(text: string): KernelIdentity {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new KernelIdentityError('JSON', (e as Error).message);
  }
  const o = object(raw, '(top level)');
  if (o['format'] !== KERNEL_IDENTITY_FORMAT)
    throw new KernelIdentityError('format', `${JSON.stringify(o['format'])}, this osv reads ${KERNEL_IDENTITY_FORMAT}`);
  const target = o['target'];
  if (typeof target !== 'string' || !(TARGETS as readonly string[]).includes(target))
    throw new KernelIdentityError('target', `${JSON.stringify(target)} is not one of ${TARGETS.join(', ')}`);
  const modules = o['modules'];
  if (!Array.isArray(modules) || modules.length > 64)
    throw new KernelIdentityError('modules', 'expected an array of at most 64 module names');
  modules.forEach((m, i) => {
    if (typeof m !== 'string' || !MODULE_NAME.test(m))
      throw new KernelIdentityError(`modules[${i}]`, `${JSON.stringify(m)} is not a module name`);
    if (modules.indexOf(m) !== i) throw new KernelIdentityError(`modules[${i}]`, `'${m}' is named twice`);
  });
  const packagesRaw = object(o['packages'], 'packages');
  const packages: Record<string, string> = {};
  for (const [name, version] of Object.entries(packagesRaw)) {
    if (!PACKAGE_NAME.test(name))
      throw new KernelIdentityError('packages', `${JSON.stringify(name)} is not a kernel package`);
    if (typeof version !== 'string' || !VERSION.test(version))
      throw new KernelIdentityError(`packages.${name}`, `${JSON.stringify(version)} is not a version`);
    packages[name] = version;
  }
  const composerRaw = object(o['composer'], 'composer');
  const composer = { osv: '', esbuild: '' };
  for (const key of ['osv', 'esbuild'] as const) {
    const v = composerRaw[key];
    if (typeof v !== 'string' || !VERSION.test(v))
      throw new KernelIdentityError(`composer.${key}`, `${JSON.stringify(v)} is not a version`);
    composer[key] = v;
  }
  const sha = o['bundleSha256'];
  if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha))
    throw new KernelIdentityError('bundleSha256', 'expected 64 lower-case hex digits');
  const profile = o['profile'];
  if (profile !== undefined && (typeof profile !== 'string' || !PROFILE_NAME.test(profile)))
    throw new KernelIdentityError('profile', `${JSON.stringify(profile)} is not a profile name`);
  return {
    format: KERNEL_IDENTITY_FORMAT,
    target: target as Target,
    modules,
    packages,
    composer,
    bundleSha256: sha,
    ...(profile !== undefined ? { profile } : {}),
  };
}

function object(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new KernelIdentityError(field, 'expected an object');
  return v as Record<string, unknown>;
}

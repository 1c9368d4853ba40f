// Hypervisor profiles (OSv's conf/profiles, MirageOS's `configure -t`): what a machine offers the
// kernel linked for it — its target, its device transport, the devices it attaches and what its
// kernel core provides without any module. One JSON file per profile in tools/osv/profiles/; a
// user adds one by writing such a file and naming its path with --profile.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isCapability, type Capability, type Target } from '@osv-ts/kernel-api';
import { packageDir } from './module-catalog.js';

export interface Profile {
  readonly name: string;
  readonly description: string;
  readonly target: Target;
  /** How devices reach the kernel: `virtio-mmio`, or `none` when the host hands them in. */
  readonly transport: 'virtio-mmio' | 'none';
  /** Devices the machine attaches, e.g. `virtio-console` (the capability `device:virtio-console`). */
  readonly devices: readonly string[];
  /** Capabilities the kernel core provides on this machine, with no module linked. */
  readonly offers: readonly Capability[];
  /** The file it was read from. */
  readonly path: string;
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

const TARGETS: readonly Target[] = ['vm-node', 'vm-browser', 'inprocess'];
const TRANSPORTS = ['virtio-mmio', 'none'] as const;

export function profilesDir(): string {
  return join(packageDir('@osv-ts/osv'), 'profiles');
}

/** Everything the profile provides before any module is linked: offers, transport, devices. */
export function profileCapabilities(profile: Profile): Set<Capability> {
  const caps = new Set<Capability>(profile.offers);
  if (profile.transport !== 'none') caps.add(profile.transport);
  for (const d of profile.devices) caps.add(`device:${d}` as Capability);
  return caps;
}

/** Checks a profile's JSON, naming the file and field of the first thing wrong with it. */
export function parseProfile(text: string, path: string): Profile {
  const fail = (why: string): never => {
    throw new ProfileError(`profile ${path}: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not a JSON object');
  const o = raw as Record<string, unknown>;
  const known = new Set(['name', 'description', 'target', 'transport', 'devices', 'offers']);
  for (const k of Object.keys(o)) if (!known.has(k)) fail(`unknown field '${k}'`);
  const str = (field: string): string =>
    typeof o[field] === 'string' && o[field] !== '' ? o[field] : fail(`'${field}' must be a non-empty string`);
  const list = (field: string): string[] =>
    Array.isArray(o[field]) && o[field].every((x) => typeof x === 'string')
      ? o[field]
      : fail(`'${field}' must be a list of strings`);
  const name = str('name');
  const target = str('target');
  if (!TARGETS.includes(target as Target)) fail(`'target' is '${target}'; targets: ${TARGETS.join(', ')}`);
  const transport = str('transport');
  if (!(TRANSPORTS as readonly string[]).includes(transport))
    fail(`'transport' is '${transport}'; transports: ${TRANSPORTS.join(', ')}`);
  const devices = list('devices');
  for (const d of devices) if (!isCapability(`device:${d}`)) fail(`'devices' names '${d}', a device no driver knows`);
  if (devices.length > 0 && transport === 'none') fail(`'devices' needs a transport; 'transport' is 'none'`);
  const offers = list('offers');
  for (const c of offers) if (!isCapability(c)) fail(`'offers' names '${c}', a capability no one declares`);
  return {
    name,
    description: str('description'),
    target: target as Target,
    transport: transport as Profile['transport'],
    devices,
    offers: offers as Capability[],
    path,
  };
}

/**
 * The profile `spec` names: a path to a JSON file when it has a `/` or ends in `.json`,
 * otherwise one of the profiles osv ships.
 */
export function loadProfile(spec: string): Profile {
  const isPath = spec.includes('/') || spec.endsWith('.json');
  const path = isPath ? spec : join(profilesDir(), `${spec}.json`);
  if (!existsSync(path))
    throw new ProfileError(
      isPath
        ? `profile ${spec}: no such file`
        : `unknown profile '${spec}' (profiles: ${profileNames().join(', ')}; or give a file's path)`,
    );
  const profile = parseProfile(readFileSync(path, 'utf8'), spec);
  if (!isPath && profile.name !== spec) throw new ProfileError(`profile ${path}: its 'name' is '${profile.name}'`);
  return profile;
}

export function profileNames(): string[] {
  return readdirSync(profilesDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

export function listProfiles(): Profile[] {
  return profileNames().map(loadProfile);
}

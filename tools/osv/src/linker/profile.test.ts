import { describe, expect, it } from 'vitest';
import { listProfiles, loadProfile, parseProfile, profileCapabilities, ProfileError } from './profile.js';

const valid = {
  name: 'fc',
  description: 'a firecracker-like machine',
  target: 'vm-node',
  transport: 'virtio-mmio',
  devices: ['virtio-console'],
  offers: ['scheduler', 'clock'],
};

const refusal = (o: unknown): string => {
  try {
    parseProfile(JSON.stringify(o), 'fc.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return (e as Error).message;
  }
  throw new Error('expected a ProfileError');
};

describe('hypervisor profiles', () => {
  it('parse a profile and offer its core services, transport and devices', () => {
    const p = parseProfile(JSON.stringify(valid), 'fc.json');
    expect([...profileCapabilities(p)].sort()).toEqual(['clock', 'device:virtio-console', 'scheduler', 'virtio-mmio']);
  });

  it('refuse names no one declares, naming the field', () => {
    expect(refusal({ ...valid, offers: ['clock', 'posix-sockets'] })).toBe(
      "profile fc.json: 'offers' names 'posix-sockets', a capability no one declares",
    );
    expect(refusal({ ...valid, devices: ['virtio-gpu'] })).toBe(
      "profile fc.json: 'devices' names 'virtio-gpu', a device no driver knows",
    );
    expect(refusal({ ...valid, target: 'xen' })).toBe(
      "profile fc.json: 'target' is 'xen'; targets: vm-node, vm-browser, inprocess",
    );
    expect(refusal({ ...valid, colour: 'blue' })).toBe("profile fc.json: unknown field 'colour'");
    expect(refusal({ ...valid, transport: 'none' })).toBe(
      "profile fc.json: 'devices' needs a transport; 'transport' is 'none'",
    );
    expect(refusal([1])).toBe('profile fc.json: not a JSON object');
  });

  it('ship vm-node, vm-node-minimal, inprocess and vm-browser, each valid', () => {
    expect(listProfiles().map((p) => [p.name, p.target])).toEqual([
      ['inprocess', 'inprocess'],
      ['vm-browser', 'vm-browser'],
      ['vm-node', 'vm-node'],
      ['vm-node-minimal', 'vm-node'],
    ]);
    expect(() => loadProfile('qemu')).toThrow(
      "unknown profile 'qemu' (profiles: inprocess, vm-browser, vm-node, vm-node-minimal; or give a file's path)",
    );
  });
});

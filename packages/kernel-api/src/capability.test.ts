import { describe, expect, it } from 'vitest';
import { CAPABILITIES, allowsManyProviders, isCapability } from './capability.js';

describe('capability names', () => {
  it('knows the declared names and no others', () => {
    expect(isCapability('posix:sockets')).toBe(true);
    expect(isCapability('device:virtio-net')).toBe(true);
    expect(isCapability('posix-sockets')).toBe(false);
    expect(isCapability('toString')).toBe(false); // not an inherited property of the table
  });

  it('allows several providers for devices only', () => {
    expect(allowsManyProviders('blockdev')).toBe(true);
    expect(allowsManyProviders('console')).toBe(true);
    expect(allowsManyProviders('vfs')).toBe(false);
    expect(allowsManyProviders('netstack')).toBe(false);
  });

  it('describes every name', () => {
    for (const [name, info] of Object.entries(CAPABILITIES)) expect(info.description, name).not.toBe('');
  });
});

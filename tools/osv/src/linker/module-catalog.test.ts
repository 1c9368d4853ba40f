import { describe, expect, it } from 'vitest';
import { checkCapabilityNames, loadCatalog, ModuleDeclarationError } from './module-catalog.js';

describe('the module catalog', () => {
  it('loads every installed package’s declarations, each naming only declared capabilities', () => {
    const names = loadCatalog().map((m) => m.name);
    expect(names).toContain('virtio-console');
    expect(names).toContain('posix-sockets');
  });

  it('refuses a declaration naming a capability no one declares', () => {
    const m = { name: 'x', entry: './x', provides: ['posix-sockets'] } as unknown as Parameters<
      typeof checkCapabilityNames
    >[0];
    expect(() => checkCapabilityNames(m, "@x/y's package.json")).toThrow(ModuleDeclarationError);
    expect(() => checkCapabilityNames(m, "@x/y's package.json")).toThrow(
      "@x/y's package.json: module x provides 'posix-sockets', a capability no one declares (kernel-api's CAPABILITIES)",
    );
  });
});

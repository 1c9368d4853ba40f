import { describe, expect, it } from 'vitest';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { AppMemory } from './app-memory.js';

describe('AppMemory', () => {
  it('follows memory.grow (the old buffer detaches) and keeps bounds exact', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const m = new AppMemory(memory);
    m.setU32(65532, 7);
    expect(() => m.setU32(65536, 1)).toThrow(KernelError);
    memory.grow(1);
    m.setU32(65536, 0xdeadbeef); // beyond the old end: seen after growth
    expect(m.u32(65536)).toBe(0xdeadbeef);
    expect(m.u32(65532)).toBe(7);
    try {
      m.bytes(2 * 65536 - 2, 4);
      expect.unreachable();
    } catch (e) {
      expect((e as KernelError).errno).toBe(Errno.EFAULT);
    }
  });

  it('follows a shared memory that grows (it does not detach)', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const m = new AppMemory(memory);
    m.setU32(0, 1);
    memory.grow(2);
    m.setU32(3 * 65536 - 4, 9);
    expect(m.u32(3 * 65536 - 4)).toBe(9);
  });
});

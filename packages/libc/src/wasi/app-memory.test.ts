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

  it('gives empty ranges as views of the current buffer, before any access and after growth', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const m = new AppMemory(memory);
    expect(m.bytes(0, 0).length).toBe(0);
    m.setU32(0, 5);
    memory.grow(1);
    const empty = m.bytes(0, 0);
    expect(empty.length).toBe(0);
    expect(empty.buffer).toBe(memory.buffer);
    expect(m.u32(0)).toBe(5);
  });

  it('writes u64 Numbers as exact halves and refuses them out of bounds', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const m = new AppMemory(memory);
    m.setU64Number(8, 2 ** 52 + 3);
    expect(m.u64(8)).toBe(2n ** 52n + 3n);
    m.setU64Number(16, 0xffff_ffff);
    expect(m.u64(16)).toBe(0xffff_ffffn);
    expect(() => m.setU64Number(65536 - 4, 1)).toThrow(KernelError);
    expect(m.equals(8, 8, new Uint8Array(new BigUint64Array([2n ** 52n + 3n]).buffer))).toBe(true);
    expect(m.equals(8, 7, new Uint8Array(8))).toBe(false);
    expect(() => m.equals(65535, 2, new Uint8Array(2))).toThrow(KernelError);
  });
});

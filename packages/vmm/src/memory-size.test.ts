import { describe, expect, it } from 'vitest';
import { formatMemorySize, parseMemorySize } from './memory-size.js';
import { GuestMemory } from '@osv-ts/drivers-virtio';
import { LayoutError, planGuestRam } from './guest-ram-layout.js';

describe('memory sizes (OSv / QEMU -m syntax)', () => {
  it.each([
    ['64M', 64 << 20],
    ['256m', 256 << 20],
    ['1G', 1 << 30],
    ['512K', 512 << 10],
    ['128', 128 << 20],
    ['4096B', 4096],
    ['1.5G', 1.5 * 2 ** 30],
    ['2GiB', 2 ** 31],
  ])('%s = %d bytes', (text, bytes) => {
    expect(parseMemorySize(text)).toBe(bytes);
  });

  it.each(['', 'M', '-1M', '12X', '1e9', 'lots'])('rejects %j', (text) => {
    expect(() => parseMemorySize(text)).toThrow(/invalid memory size/);
  });

  it('formats with the largest exact unit', () => {
    expect(formatMemorySize(64 << 20)).toBe('64M');
    expect(formatMemorySize(1 << 30)).toBe('1G');
    expect(formatMemorySize(1000)).toBe('1000B');
  });
});

describe('guest RAM layout', () => {
  it('puts MMIO windows, bootfs and free RAM in order, page aligned, without overlap', () => {
    const l = planGuestRam(64 << 20, 3, 10_000);
    expect(l.mmio.map((m) => m.baseAddress)).toEqual([0x10000, 0x11000, 0x12000]);
    expect(l.mmio.map((m) => m.irq)).toEqual([5, 6, 7]);
    expect(l.bootfsAddress % 4096).toBe(0);
    expect(l.bootfsAddress).toBeGreaterThanOrEqual(0x10000 + 32 * 0x1000);
    expect(l.freeRamStart).toBeGreaterThanOrEqual(l.bootfsAddress + 10_000);
    expect(l.freeRamStart % 4096).toBe(0);
  });

  it('refuses RAM too small for the boot image', () => {
    expect(() => planGuestRam(8 << 20, 2, 7 << 20)).toThrow(/too small.*use -m/);
  });

  it('takes up to 4 GiB and refuses more in one line', () => {
    expect(planGuestRam(2 ** 32, 2, 0).ramBytes).toBe(2 ** 32);
    expect(() => planGuestRam(2 ** 32 + 4096, 2, 0)).toThrow(LayoutError);
    expect(() => planGuestRam(100 * 2 ** 30, 2, 0)).toThrow(
      'guest RAM of 100 GiB is more than osv-ts supports: at most 4G (-m 4G)',
    );
  });

  it('a 4 GiB guest RAM has word views over all of it (byteLength >>> 2 would be 0)', () => {
    const memory = new GuestMemory(new SharedArrayBuffer(2 ** 32));
    expect(memory.words.length).toBe(2 ** 30);
    expect(memory.halfwords.length).toBe(2 ** 31);
    const last = memory.wordIndex(2 ** 32 - 4);
    Atomics.store(memory.words, last, 7);
    expect(memory.view.getInt32(2 ** 32 - 4, true)).toBe(7);
  });
});

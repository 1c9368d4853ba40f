// The vCPU's view of the boot info page: the bootchart's first stages come from the VMM's
// stamps on one clock (machine created, vCPU created), then the kernel's own.
import { describe, expect, it } from 'vitest';
import { BOOT_ABI_VERSION, BOOT_MAGIC, BootInfo, CMDLINE_ADDRESS } from '@osv-ts/kernel-api';
import { VmPlatform } from './vm-platform.js';

function bootInfo(machineStartMs: number, vcpuStartMs: number): SharedArrayBuffer {
  const ram = new SharedArrayBuffer(8 << 20);
  const v = new DataView(ram);
  const cmd = new TextEncoder().encode('--bootchart hello.wasm');
  v.setUint32(BootInfo.magic, BOOT_MAGIC, true);
  v.setUint32(BootInfo.abiVersion, BOOT_ABI_VERSION, true);
  v.setFloat64(BootInfo.machineStartEpochMs, machineStartMs, true);
  v.setFloat64(BootInfo.vcpuStartEpochMs, vcpuStartMs, true);
  v.setFloat64(BootInfo.ramSizeBytes, ram.byteLength, true);
  new Uint8Array(ram).set(cmd, CMDLINE_ADDRESS);
  v.setUint32(BootInfo.cmdlineAddress, CMDLINE_ADDRESS, true);
  v.setUint32(BootInfo.cmdlineLength, cmd.length, true);
  v.setUint32(BootInfo.freeRamStart, 1 << 20, true);
  return ram;
}

describe('VmPlatform boot stages', () => {
  it('starts the bootchart at the machine, with the VMM’s "vCPU created" before "vCPU started"', () => {
    const now = performance.timeOrigin + performance.now();
    const p = new VmPlatform(bootInfo(now - 30, now - 20));
    const [origin, created, started] = p.bootchart.entries;
    expect(origin).toEqual({ name: '', atMs: now - 30 });
    expect(created).toEqual({ name: 'vCPU created', atMs: now - 20 });
    expect(started!.name).toBe('vCPU started');
    expect(started!.atMs).toBeGreaterThanOrEqual(now);
    expect(p.cmdline).toBe('--bootchart hello.wasm');
  });

  it('leaves "vCPU created" out when the VMM did not record it', () => {
    const now = performance.timeOrigin + performance.now();
    const p = new VmPlatform(bootInfo(now - 30, 0));
    expect(p.bootchart.entries.map((e) => e.name)).toEqual(['', 'vCPU started']);
  });

  it('refuses a VMM of another boot ABI version', () => {
    const ram = bootInfo(1, 1);
    new DataView(ram).setUint32(BootInfo.abiVersion, BOOT_ABI_VERSION - 1, true);
    expect(() => new VmPlatform(ram)).toThrow(/boot ABI version 2, kernel speaks 3/);
  });
});

// The counters `osv run -V` prints are readable from the host without running a guest: they
// start at zero per device and merge the transport's with the device model's own.
import { describe, expect, it } from 'vitest';
import { MemoryBlockBackend, VirtioBlkDevice, VirtioConsoleDevice } from '@osv-ts/drivers-virtio';
import { Machine } from './machine.js';

describe('Machine.deviceCounters', () => {
  it('lists every device with transport and model counters', () => {
    const m = new Machine({
      memBytes: 16 << 20,
      cmdline: '',
      kernelPath: '/nonexistent.mjs',
      devices: [
        new VirtioConsoleDevice('console0', { write: () => undefined }),
        new VirtioBlkDevice('vblk0', new MemoryBlockBackend(1 << 20)),
      ],
    });
    const c = m.deviceCounters();
    expect(c.map((d) => d.name)).toEqual(['console0', 'vblk0']);
    expect(c[1]!.counters).toMatchObject({
      traps: 0,
      notifications: 0,
      interrupts: 0,
      requests: 0,
      reads: 0,
      errors: 0,
    });
    m.transports[1]!.read(0, 4); // a trapped register read
    expect(m.deviceCounters()[1]!.counters['traps']).toBe(1);
  });
});

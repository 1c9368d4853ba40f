// A guest's virtio-blk driver writing into a qcow2 image through the device model and the
// qcow2 back-end (all on one thread: the qcow2 back-end answers synchronously), then QEMU's
// tools judge the image: `qemu-img check` clean, `qemu-img compare` equal to the model.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoopbackMachine, VirtioBlkDevice, VirtioBlkDriver, VirtioMmioTransport } from '@osv-ts/drivers-virtio';
import { NodeImageFile } from '../image-file.js';
import { Qcow2Backend } from './qcow2-backend.js';
import { Qcow2Image } from './qcow2-image.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-qcow2-guest-'));

function qemuImg(args: string[]): { status: number; out: string } {
  const r = spawnSync('qemu-img', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`qemu-img is needed (scripts/setup-system.sh installs qemu-utils): ${r.error.message}`);
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('virtio-blk over qcow2', () => {
  it('guest writes, write-zeroes and discards leave an image qemu-img checks clean and finds equal to the model', () => {
    let run = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.constantFrom('write', 'zero', 'discard'),
            sector: fc.nat(16383),
            sectors: fc.integer({ min: 1, max: 400 }),
            fill: fc.integer({ min: 1, max: 255 }),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        (ops) => {
          const size = 8 << 20;
          const path = join(dir, `g${run}.qcow2`);
          const rawPath = join(dir, `g${run++}.raw`);
          const file = NodeImageFile.create(path);
          const device = new VirtioBlkDevice(
            'd0',
            new Qcow2Backend(Qcow2Image.create(file, size, { clusterBits: 12 })),
          );
          const machine = new LoopbackMachine(16 << 20, [device]);
          // The scheduler's blocking adapter, reduced to what one thread needs.
          const sched = {
            block: (cond: () => boolean) => {
              while (!cond()) if (!machine.pollInterrupts()) machine.idle();
              return true;
            },
          };
          let next = 0x100000;
          const dma = {
            alloc: (n: number) => {
              const a = next;
              next += Math.ceil(n / 4096) * 4096;
              return a;
            },
            free: () => undefined,
          };
          const driver = new VirtioBlkDriver(
            'vblk0',
            new VirtioMmioTransport(machine.memory, machine, machine.devices[0]!),
            machine.memory,
            dma,
            sched as never,
          );
          machine.onInterrupt(machine.devices[0]!.irq, () => driver.onInterrupt());
          driver.init();
          const model = new Uint8Array(size);
          for (const o of ops) {
            const sectors = Math.min(o.sectors, size / 512 - o.sector);
            const at = o.sector * 512;
            const len = sectors * 512;
            if (o.op === 'write') {
              const data = new Uint8Array(len).fill(o.fill);
              driver.write(at, data);
              model.set(data, at);
            } else if (o.op === 'zero') {
              driver.writeZeroes(at, len);
              model.fill(0, at, at + len);
            } else {
              driver.discard(at, len); // qcow2 back-end: discarded ranges read back as zeroes
              model.fill(0, at, at + len);
            }
          }
          driver.flush();
          const back = new Uint8Array(size);
          driver.read(0, back);
          expect(Buffer.compare(back, model)).toBe(0);
          file.close();
          writeFileSync(rawPath, model);
          const check = qemuImg(['check', path]);
          expect(check.out).toContain('No errors were found');
          expect(qemuImg(['compare', '-f', 'raw', '-F', 'qcow2', rawPath, path]).out).toContain('Images are identical');
        },
      ),
      { numRuns: 10 },
    );
  });
});

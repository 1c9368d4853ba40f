// A failing disk seen from an app: the image's ROFS root is served by virtio-blk over a raw
// file back-end wrapped in fault injection; reads in one range fail on the host, the app gets
// EIO from read(), and the guest keeps running (the next file reads fine).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultInjectingBackend, FaultRanges, VirtioBlkDevice, VirtioConsoleDevice } from '@osv-ts/drivers-virtio';
import { Machine, RawFileBackend, loadBootImage } from '@osv-ts/vmm';
import { composeImageKernel } from '../src/linker/image-kernel.js';
import { osv } from './osv-cli.js';

const CAT_C = `#include <stdio.h>
#include <errno.h>
#include <string.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "r");
    if (!f) { printf("open %s: %s\\n", argv[i], strerror(errno)); continue; }
    char buf[4096]; size_t n; long total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) total += n;
    if (ferror(f)) printf("read %s: %s after %ld bytes\\n", argv[i], strerror(errno), total);
    else printf("%s: %ld bytes\\n", argv[i], total);
    fclose(f);
  }
  return 0;
}
`;

describe('virtio-blk faults reach the app', () => {
  // A callback plan keeps the disk on the VMM's thread; a FaultRanges plan is data, so the
  // disk runs on its device thread like a plain image file.
  it.each(['VMM thread', 'device thread'] as const)(
    'gives the app EIO for a failing range and keeps the guest running (%s)',
    async (where) => {
      const dir = mkdtempSync(join(tmpdir(), 'osv-blk-fault-'));
      writeFileSync(join(dir, 'cat.c'), CAT_C);
      try {
        execFileSync('clang', [
          '--target=wasm32-wasi',
          '--sysroot=/usr',
          '-O2',
          '-o',
          join(dir, 'cat.wasm'),
          join(dir, 'cat.c'),
        ]);
      } catch (e) {
        throw new Error(
          `clang for wasm32-wasi is needed (scripts/setup-system.sh installs it): ${(e as Error).message}`,
        );
      }
      mkdirSync(join(dir, 'files'));
      writeFileSync(
        join(dir, 'files', 'big.bin'),
        new Uint8Array(300_000).map((_, i) => i * 13),
      );
      writeFileSync(join(dir, 'files', 'motd'), 'welcome\n');
      writeFileSync(join(dir, 'usr.manifest'), '/big.bin: files/big.bin\n/etc/motd: files/motd\n');
      const image = join(dir, 'cat.img');
      const built = osv([
        'build',
        '--app',
        join(dir, 'cat.wasm'),
        '--manifest',
        join(dir, 'usr.manifest'),
        '-o',
        image,
      ]);
      expect(built.stderr).toMatch(/modules: .*rofs.*virtio-blk/);
      expect(built.status).toBe(0);

      const boot = loadBootImage(image);
      const fs = boot.partitions.find((p) => p.index === 1)!;
      const kernelPath = (await composeImageKernel(image, boot)).bundle.path;
      // Fail every read touching bytes 100 KiB..104 KiB of the ROFS partition (inside big.bin's data).
      const badStart = fs.startBytes + 100 * 1024;
      const badEnd = badStart + 4096;
      const backend = new FaultInjectingBackend(
        RawFileBackend.open(image, true),
        where === 'device thread'
          ? new FaultRanges([{ op: 'read', startBytes: badStart, endBytes: badEnd }])
          : { fails: (op, offset, length) => op === 'read' && offset < badEnd && offset + length > badStart },
      );
      let out = '';
      let err = '';
      const disk = new VirtioBlkDevice('vblk0', backend);
      const passes = 1;
      const machine = new Machine({
        memBytes: 64 << 20,
        cmdline: `/cat.wasm ${'/big.bin '.repeat(passes)}/etc/motd`,
        kernelPath,
        devices: [
          new VirtioConsoleDevice('console0', { write: (b) => (out += new TextDecoder().decode(b)) }),
          new VirtioConsoleDevice('console1', { write: (b) => (err += new TextDecoder().decode(b)) }),
          disk,
        ],
        bootfs: boot.bootfs,
      });
      if (where === 'device thread') {
        // A device thread starts when the guest first activates the disk, which is served on the
        // VMM's thread until the thread is up: start it now, so every request goes through it.
        const thread = machine.deviceThreads[2]!;
        thread.prepare();
        while (!thread.ready) await new Promise((r) => setTimeout(r, 5));
      }
      const exit = await machine.run();
      expect(err).toBe('');
      expect(exit.status).toBe(0);
      const failure = /^read \/big\.bin: I\/O error after (\d+) bytes$/;
      const lines = out.split('\n');
      expect(lines.length).toBe(passes + 2);
      for (const line of lines.slice(0, passes)) expect(line).toMatch(failure);
      expect(lines.slice(passes)).toEqual(['/etc/motd: 8 bytes', '']);
      expect(machine.deviceCounters().find((d) => d.name === 'vblk0')!.counters['errors']).toBeGreaterThan(0);
      if (where === 'VMM thread') expect(backend.injected).toBeGreaterThan(0);
      else expect(machine.deviceThreads[2]!.counters['errors']).toBeGreaterThan(0);
      backend.close();
    },
    60_000,
  );
});

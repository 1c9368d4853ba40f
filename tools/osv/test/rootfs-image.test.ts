// osv run --rootfs-image: a bare ROFS image (osv mkfs rofs) reaches the kernel as virtio-blk
// vblk0 and is mounted read-only as /, with a ramfs on /tmp as OSv's ROFS fstab has.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { example, osv } from './osv-cli.js';

describe('osv run --rootfs-image', () => {
  it('mounts a ROFS image as a read-only root with a writable /tmp', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osv-rootfs-'));
    writeFileSync(join(dir, 'motd'), 'from a rofs root\n');
    mkdirSync(join(dir, 'empty'));
    writeFileSync(
      join(dir, 'usr.manifest'),
      `/fsutil.wasm: ${example('fsutil')}\n/etc/motd: motd\n/tmp: empty\n/dev: empty\n`,
    );
    const img = join(dir, 'rootfs.img');
    expect(osv(['mkfs', 'rofs', join(dir, 'usr.manifest'), '-o', img]).status).toBe(0);

    const r = osv([
      'run',
      '--rootfs-image',
      img,
      '-e',
      '--bootchart /fsutil.wasm cat /etc/motd , write /tmp/x scratch , cat /tmp/x , ls /dev',
    ]);
    expect(r.stdout.toString()).toMatch(/^from a rofs root\nscratch(.|\n)*\? 0 null\n/);
    expect(r.stderr).toMatch(/ROFS mounted/);
    expect(r.status).toBe(0);

    const ro = osv(['run', '--rootfs-image', img, '-e', '/fsutil.wasm write /etc/motd x']);
    expect(ro.stderr).toMatch(/open \/etc\/motd: Read-only file system/);
    expect(ro.status).toBe(1);

    const notRofs = osv(['run', '--rootfs-image', join(dir, 'motd'), '-e', '/fsutil.wasm']);
    expect(notRofs.stderr).toMatch(/not a ROFS image/);
    expect(notRofs.status).toBe(2);
  }, 60_000);
});

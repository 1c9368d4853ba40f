// `osv build` and `osv run -i` end to end: images checked by qemu-img and sfdisk, booted by the
// VMM's firmware, the disk served by virtio-blk from the raw or qcow2 back-end.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice, O_RDONLY, Rofs, Vfs, type VfsOptions } from '@osv-ts/vfs';
import { loadBootImage } from '@osv-ts/vmm';
import { example, osv } from './osv-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-image-test-'));

function tool(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} is needed (scripts/setup-system.sh installs it): ${r.error.message}`);
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('osv build', () => {
  const raw = join(dir, 'hello.img');
  const qcow2 = join(dir, 'hello.qcow2');
  const manifestDir = join(dir, 'files');
  mkdirSync(join(manifestDir, 'etc'), { recursive: true });
  writeFileSync(join(manifestDir, 'etc', 'motd'), 'welcome to osv-ts\n');
  writeFileSync(join(dir, 'usr.manifest'), '[manifest]\n/etc/motd: files/etc/motd\n');

  it('writes a raw MBR image that sfdisk and qemu-img read, and prints modules and kernel size', () => {
    const r = osv([
      'build',
      '--app',
      example('hello'),
      '--manifest',
      join(dir, 'usr.manifest'),
      '--fs',
      'rofs',
      '-o',
      raw,
    ]);
    expect(r.stderr).toMatch(/osv build: modules: .*virtio-blk/);
    expect(r.stderr).not.toMatch(/virtio-net/); // no sockets imported, no network driver
    expect(r.stderr).toMatch(/osv build: kernel [0-9a-f]{16}: \d+\.\d KiB/);
    expect(r.status).toBe(0);
    const sf = tool('sfdisk', ['-d', raw]);
    expect(sf.status).toBe(0);
    expect(sf.out).toMatch(/hello\.img1 : start=\s+2048, size=\s+2048, type=da, bootable/);
    expect(sf.out).toMatch(/hello\.img2 : start=\s+4096, size=\s+\d+, type=83/);
    const info = tool('qemu-img', ['info', '--output=json', raw]);
    expect((JSON.parse(info.out) as { format: string }).format).toBe('raw');
  });

  it('puts the manifest and the app into a ROFS partition at MBR entry 1 (vblk0.1)', () => {
    const img = loadBootImage(raw);
    const fsPart = img.partitions.find((p) => p.index === 1)!;
    expect(img.cmdline).toBe('/hello.wasm');
    const bytes = new Uint8Array(readFileSync(raw).subarray(fsPart.startBytes, fsPart.startBytes + fsPart.sizeBytes));
    const vfs = new Vfs({ clock: { realtimeNs: () => 0, monotonicNs: () => 0 } as unknown as VfsOptions['clock'] });
    vfs.mountRoot(new Rofs(new MemoryBlockDevice(bytes, 'vblk0.1', true)));
    const read = (p: string): Uint8Array => {
      const f = vfs.open(p, O_RDONLY);
      const b = new Uint8Array(1 << 20);
      return b.subarray(0, f.read(b));
    };
    expect(new TextDecoder().decode(read('/etc/motd'))).toBe('welcome to osv-ts\n');
    expect(Buffer.compare(read('/hello.wasm'), readFileSync(example('hello')))).toBe(0);
  });

  it('writes qcow2 that qemu-img checks clean and finds identical to the raw image', () => {
    const r = osv([
      'build',
      '--app',
      example('hello'),
      '--manifest',
      join(dir, 'usr.manifest'),
      '--format',
      'qcow2',
      '-o',
      qcow2,
    ]);
    expect(r.status).toBe(0);
    const check = tool('qemu-img', ['check', qcow2]);
    expect(check.out).toContain('No errors were found on the image.');
    expect(check.status).toBe(0);
    expect((JSON.parse(tool('qemu-img', ['info', '--output=json', qcow2]).out) as { format: string }).format).toBe(
      'qcow2',
    );
    const cmp = tool('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', raw, qcow2]);
    expect(cmp.out).toContain('Images are identical.');
  });

  it('sizes the fs partition with --fs-size, and a qcow2 image stores only what is written', () => {
    const img = join(dir, 'big.qcow2');
    expect(osv(['build', '--app', example('hello'), '--fs-size', '64M', '--format', 'qcow2', '-o', img]).status).toBe(
      0,
    );
    const info = JSON.parse(tool('qemu-img', ['info', '--output=json', img]).out) as Record<string, number>;
    expect(info['virtual-size']).toBe(66 * 1024 * 1024); // 1 MiB MBR gap + 1 MiB boot + 64 MiB fs
    expect(info['actual-size']).toBeLessThan(2 * 1024 * 1024);
    expect(tool('qemu-img', ['check', img]).status).toBe(0);
  });

  it('rejects unsupported options and values clearly', () => {
    expect(osv(['build', '--app', example('hello'), '-o', join(dir, 'x.img'), '--fs', 'xfs']).stderr).toMatch(
      /--fs xfs: supported are rofs, zfs and ramfs/,
    );
    expect(osv(['build', '--app', example('hello'), '-o', join(dir, 'x.img'), '--format', 'vmdk']).stderr).toMatch(
      /--format vmdk/,
    );
    expect(osv(['build', '--app', example('hello')]).status).toBe(2);
  });
});

describe('osv run -i', () => {
  const raw = join(dir, 'run.img');
  const qcow2 = join(dir, 'run.qcow2');

  it('boots the kernel and command line from a raw image and reads the disk through virtio-blk', () => {
    expect(
      osv(['build', '--app', example('hello'), '-o', raw, '--kernel-cmdline', '/hello.wasm from-image']).status,
    ).toBe(0);
    const r = osv(['run', '-i', raw, '-V']);
    expect(r.stdout.toString()).toBe('Hello from osv-ts!\nargv[0] = /hello.wasm\nargv[1] = from-image\n');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/modules: .*virtio-blk/);
    // The virtio-blk module read the partition table through the async raw-file back-end.
    const counters = JSON.parse(/osv: vblk0: (\{.*\})/.exec(r.stderr)![1]!) as Record<string, number>;
    expect(counters['reads']).toBeGreaterThan(0);
    expect(counters['errors']).toBe(0);
    expect(counters['interrupts']).toBeGreaterThan(0);
  });

  it('boots a qcow2 image, and -e replaces the image command line', () => {
    expect(osv(['build', '--app', example('hello'), '-o', qcow2, '--format', 'qcow2']).status).toBe(0);
    const r = osv(['run', '-i', qcow2, '-e', '/hello.wasm x y']);
    expect(r.stdout.toString()).toBe('Hello from osv-ts!\nargv[0] = /hello.wasm\nargv[1] = x\nargv[2] = y\n');
    expect(r.status).toBe(0);
    expect(tool('qemu-img', ['check', qcow2]).status).toBe(0);
  });

  it('boots a ramfs image: the files ride in the boot partition, no fs partition', () => {
    const img = join(dir, 'ramfs.img');
    expect(osv(['build', '--app', example('hello'), '--fs', 'ramfs', '-o', img]).status).toBe(0);
    expect(tool('sfdisk', ['-d', img]).out).not.toMatch(/ramfs\.img2/);
    const r = osv(['run', '-i', img]);
    expect(r.stdout.toString()).toBe('Hello from osv-ts!\nargv[0] = /hello.wasm\n');
    expect(r.status).toBe(0);
  });

  it('prints the machine with --dry-run without starting it', () => {
    const r = osv(['run', '-i', raw, '--dry-run', '-m', '128M']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('');
    expect(r.stderr).toMatch(/osv: machine: 128M RAM, 1 vCPU, devices: console0, console1, vblk0, rng0/);
    expect(r.stderr).toMatch(/osv: image .*run\.img \(raw, 3M\): vblk0\.0 type 0xda/);
  });

  it('refuses a file that is not an osv-ts image, and unsupported options', () => {
    const junk = join(dir, 'junk.img');
    writeFileSync(junk, new Uint8Array(4096));
    const r = osv(['run', '-i', junk]);
    expect(r.status).toBe(1); // a file of the wrong kind fails the run; the invocation was fine
    expect(r.stderr).toMatch(/cannot boot .*junk\.img: .*no osv-ts boot partition/);
    expect(osv(['run', '-i', raw, '--no-such-option']).stderr).toMatch(/unknown option '--no-such-option'/);
    expect(osv(['run', '-i', raw, example('hello')]).stderr).toMatch(/the app comes from the image/);
  });
});

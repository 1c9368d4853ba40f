// Every user mistake ends in one line on stderr and exit status 2 (a usage mistake) or 1 (a
// failure), naming what was wrong and where; an option either acts or is refused. Each case is
// one a new user met (issue 12), run through the built CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { example, osv, type CliResult } from './osv-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-user-errors-'));
const hello = example('hello');

/** Asserts the status and that stderr is exactly one line matching `line`, with stdout empty. */
function expectOneLine(r: CliResult, status: 1 | 2, line: RegExp): void {
  expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
  expect(r.stderr).toMatch(line);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout.toString()).toBe('');
  expect(r.status).toBe(status);
}

function manifest(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
writeFileSync(join(dir, 'motd'), 'welcome\n');

describe('command lines over OSv’s 1023 bytes are refused before boot', () => {
  it('an app argument of 100 000 bytes', () => {
    expectOneLine(
      osv(['run', hello, 'x'.repeat(100_000)]),
      2,
      /^osv: command line too long \(hello\.wasm and its arguments\): 100011 bytes, the most that fits is 959 /,
    );
  });

  it('-e, and --env inside it', () => {
    expectOneLine(
      osv(['run', '-e', `/hello.wasm ${'y'.repeat(2000)}`, hello]),
      2,
      /^osv: command line too long \(-e\): 2012 bytes/,
    );
    expectOneLine(
      osv(['run', '-e', `--env=BIG=${'z'.repeat(1100)} /hello.wasm`, hello]),
      2,
      /^osv: command line too long \(-e\): 1122 bytes/,
    );
  });

  it('osv build --kernel-cmdline of 2000 bytes, at build time, writing no image', () => {
    const out = join(dir, 'long-cmdline.img');
    expectOneLine(
      osv(['build', '--app', hello, '--kernel-cmdline', `/hello.wasm ${'b'.repeat(2000)}`, '-o', out]),
      2,
      /^osv: command line too long \(--kernel-cmdline\): 2012 bytes, the most that fits is 863 /,
    );
    expect(readdirSync(dir)).not.toContain('long-cmdline.img');
  });
});

describe('a bad OSv command line is refused on the host with the kernel’s own parser', () => {
  it('an unbalanced quote in -e names the byte offset', () => {
    expectOneLine(
      osv(['run', '-e', '/hello.wasm "abc', hello]),
      2,
      /^osv: -e: unterminated quoted string at byte 12: "abc$/m,
    );
  });

  it('--tcplisten nonsense', () => {
    expectOneLine(
      osv(['run', '--tcplisten', 'nonsense', hello]),
      2,
      /^osv: command line: the argument \('nonsense'\) for option '--tcplisten' is invalid: expected ADDR:PORT$/m,
    );
  });

  it('--delay out of range', () => {
    expectOneLine(
      osv(['run', '-e', '--delay=1e9 /hello.wasm', hello]),
      2,
      /^osv: -e: the argument \('1e9'\) for option '--delay' is out of range: 0 to 3600 seconds$/m,
    );
  });

  it('--rootfs of an unknown type, naming the known ones', () => {
    expectOneLine(
      osv(['run', '-e', '--rootfs=bogus /hello.wasm', hello]),
      2,
      /^osv: -e: --rootfs=bogus: unknown file system 'bogus' \(osv-ts has devfs, procfs, ramfs, rofs, virtiofs, zfs\)$/m,
    );
  });
});

describe('guest memory', () => {
  it('-m 4G boots; -m 100G is refused with the largest size', () => {
    const r = osv(['run', '-m', '4G', hello]);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toMatch(/^Hello from osv-ts!/);
    expect(r.status).toBe(0);
    expectOneLine(
      osv(['run', '-m', '100G', hello]),
      2,
      /^osv: -m 100G: the largest guest RAM is 4G \(guest physical addresses are 32 bits\)$/m,
    );
  });
});

describe('manifests and outputs', () => {
  const bad = manifest('bad.manifest', ['[manifest]', `/etc/motd: motd`, '/a.txt: missing.txt']);

  it('osv mkfs, osv build and osv run name the manifest line of a source that does not exist', () => {
    const line = /^osv: .*bad\.manifest:3: \/a\.txt: host path .*\/missing\.txt does not exist$/m;
    expectOneLine(osv(['mkfs', 'rofs', bad, '-o', join(dir, 'x.img')]), 1, line);
    expectOneLine(osv(['build', '--manifest', bad, '-o', join(dir, 'x.img')]), 1, line);
    expectOneLine(osv(['run', '--manifest', bad, hello]), 1, line);
    expect(readdirSync(dir)).not.toContain('x.img');
  });

  it('-o into a missing directory, or onto a directory', () => {
    const good = manifest('good.manifest', ['/etc/motd: motd']);
    expectOneLine(
      osv(['mkfs', 'rofs', good, '-o', join(dir, 'nowhere', 'x.img')]),
      1,
      /^osv: -o .*nowhere\/x\.img: directory .*nowhere does not exist$/m,
    );
    expectOneLine(osv(['mkfs', 'rofs', good, '-o', dir]), 2, /^osv: -o .*: is a directory, not a regular file$/m);
    expectOneLine(
      osv(['build', '--app', hello, '-o', join(dir, 'nowhere', 'x.img')]),
      1,
      /^osv: -o .*nowhere\/x\.img: directory .*nowhere does not exist$/m,
    );
    expectOneLine(osv(['build', '--app', hello, '-o', dir]), 2, /^osv: -o .*: is a directory, not a regular file$/m);
  });

  it('--trace-out onto a directory is refused before the app runs', () => {
    expectOneLine(
      osv(['run', '--trace', 'boot*', '--trace-out', tmpdir(), hello]),
      2,
      /^osv: --trace-out \/tmp: is a directory, not a regular file$/m,
    );
  });

  it('osv mkfs zfs --size 100T, naming the largest pool', () => {
    const good = manifest('zfs.manifest', ['/etc/motd: motd']);
    expectOneLine(
      osv(['mkfs', 'zfs', good, '--size', '100T', '-o', join(dir, 'big.img')]),
      2,
      /^osv: mkfs: --size 100T: osv builds a pool in memory, and the largest it can is 4G$/m,
    );
  });
});

describe('options act or are refused', () => {
  it('--redirect on an app without file calls links the VFS and writes the file', () => {
    const r = osv(['run', '-e', '--redirect=/tmp/out /hello.wasm', hello]);
    expect(r.stderr).toBe('Writing stdout and stderr to /tmp/out\n');
    expect(r.stdout.toString()).toBe(''); // hello's output went to the file
    expect(r.status).toBe(0);
  });

  it('a kernel without a VFS refuses --redirect, --cwd and --mount-fs instead of ignoring them', () => {
    const img = join(dir, 'ramfs.img');
    expect(osv(['build', '--app', hello, '--fs', 'ramfs', '-o', img]).status).toBe(0);
    expectOneLine(
      osv(['run', '-i', img, '-e', '--redirect=/tmp/out /hello.wasm']),
      1,
      /^--redirect=\/tmp\/out: this kernel has no vfs module to honour it\. Powering off\.$/m,
    );
    expectOneLine(
      osv(['run', '-i', img, '-e', '--cwd=/tmp /hello.wasm']),
      1,
      /^--cwd=\/tmp: this kernel has no vfs module to honour it\. Powering off\.$/m,
    );
    expectOneLine(
      osv(['run', '-i', img, '-e', '--mount-fs=ramfs,none,/scratch /hello.wasm']),
      1,
      /^--mount-fs=ramfs,none,\/scratch: this kernel has no vfs module to honour it\. Powering off\.$/m,
    );
  });

  it('--tcplisten for an app that imports no socket calls', () => {
    expectOneLine(
      osv(['run', '--tcplisten', '0.0.0.0:8123', hello]),
      2,
      /^osv: --tcplisten 0\.0\.0\.0:8123: hello\.wasm imports no socket calls \(sock_accept\)/m,
    );
  });

  it('--forward to a host port already taken names the port', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      expectOneLine(
        osv(['run', '-n', '--forward', `tcp:${port}:80`, hello]),
        1,
        new RegExp(`^osv: --forward tcp:${port}:80: host TCP port ${port} is already in use$`, 'm'),
      );
    } finally {
      holder.close();
    }
  });

  it('--cwd to a directory that does not exist stops the guest with a non-zero status', () => {
    expectOneLine(
      osv(['run', '-e', '--cwd=/nonexistent /hello.wasm', hello]),
      1,
      /^--cwd=\/nonexistent: ENOENT: \/nonexistent\. Powering off\.$/m,
    );
    const ok = osv(['run', '-e', '--cwd=/tmp /hello.wasm', hello]);
    expect(ok.status).toBe(0);
  });

  it('a failed --mount-fs stops the boot, and the app does not run', () => {
    expectOneLine(
      osv(['run', '-e', '--mount-fs=zfs,nopool/data,/data /hello.wasm', hello]),
      1,
      /^failed to mount nopool\/data on \/data: ENOENT: zfs: no pool 'nopool' on the block devices\. Powering off\.$/m,
    );
  });

  it('--disk with --mount-fs on a damaged image names the format error', () => {
    const img = join(dir, 'data.img');
    const good = manifest('data.manifest', ['/etc/motd: motd']);
    expect(osv(['build', '--manifest', good, '-o', img]).status).toBe(0);
    const bytes = readFileSync(img);
    bytes[0x1be + 16] = 0x33; // partition entry 1's status byte: neither 0 nor 0x80
    const damaged = join(dir, 'damaged.img');
    writeFileSync(damaged, bytes);
    expectOneLine(
      osv(['run', '--disk', damaged, '-e', '--mount-fs=rofs,/dev/vblk0.1,/data /hello.wasm', hello]),
      1,
      /^failed to mount \/dev\/vblk0\.1 on \/data: ENODEV: rofs: no block device \/dev\/vblk0\.1 \(vblk0: partition table unreadable: mbr: entry 1 status at offset 462: 0x33 is neither 0 nor 0x80\)\. Powering off\.$/m,
    );
  });
});

describe('inputs that are not regular files', () => {
  it.each([
    ['/dev/zero', 'a character device'],
    [tmpdir(), 'a directory'],
  ])('--file /x=%s is refused at once', (source, kind) => {
    expectOneLine(
      osv(['run', '--file', `/x=${source}`, hello]),
      2,
      new RegExp(`^osv: --file /x: ${source} is ${kind}, not a regular file$`, 'm'),
    );
  });

  it('--file from a FIFO is refused without opening it (which would block)', () => {
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expectOneLine(
      osv(['run', '--file', `/x=${fifo}`, hello]),
      2,
      /^osv: --file \/x: .*fifo is a FIFO, not a regular file$/m,
    );
  });
});

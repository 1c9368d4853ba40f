// Manifests take exactly what they name (issue 13 part 3), through every command that reads
// one: `osv run --manifest`, `osv mkfs rofs`, `osv mkfs zfs` and `osv build`. A symlink in a
// `/**` tree that points at a host secret becomes a symlink in the guest and the image, and the
// secret's bytes appear nowhere; a `..` guest path and a path used as both file and directory
// are one-line errors naming the manifest line.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { example, osv } from './osv-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-manifest-safety-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The host's secret, outside the tree the manifest names (standing in for /etc/shadow).
const SECRET = `TOP-SECRET-${randomBytes(8).toString('hex')}`;
mkdirSync(join(dir, 'outside'));
writeFileSync(join(dir, 'outside/shadow'), `root:${SECRET}:19000::::::\n`);
mkdirSync(join(dir, 'tree/etc'), { recursive: true });
mkdirSync(join(dir, 'empty'));
writeFileSync(join(dir, 'tree/readme'), 'a file in the tree\n');
symlinkSync(join(dir, 'outside/shadow'), join(dir, 'tree/etc/shadow')); // absolute, out of the tree
symlinkSync('../../outside/shadow', join(dir, 'tree/etc/rel-shadow')); // relative, out of the tree
symlinkSync('../readme', join(dir, 'tree/etc/motd')); // relative, inside the tree

const manifest = (name: string, lines: string[]): string => {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
};
const symlinks = manifest('symlinks.manifest', [
  `/fsutil.wasm: ${example('fsutil')}`,
  '/app/**: tree/**',
  '/tmp: empty',
  '/dev: empty',
]);
const dotdot = manifest('dotdot.manifest', ['/ok: tree/readme', '/../../etc/x: tree/readme']);
const fileAndDir = manifest('file-and-dir.manifest', ['/a: tree/readme', '/b: tree/readme', '/a/b: tree/readme']);

/** What the guest's fsutil prints for the tree: the links are links, and none can be read. */
const GUEST_COMMAND = '/fsutil.wasm ls /app/etc , cat /app/etc/motd';
const expectLinksInGuest = (r: { status: number | null; stdout: Buffer; stderr: string }): void => {
  expect(r.stderr).toBe('');
  expect(r.stdout.toString()).toBe(
    `l ${'../readme'.length} motd\n` +
      `l ${'../../outside/shadow'.length} rel-shadow\n` +
      `l ${join(dir, 'outside/shadow').length} shadow\n` +
      'a file in the tree\n',
  );
  expect(r.status).toBe(0);
};
const expectOneLineErrors = (run: (m: string) => { status: number | null; stderr: string }): void => {
  const bad = run(dotdot);
  expect(bad.stderr).toBe(
    `osv: ${dotdot}:2: guest path "/../../etc/x" has a ".." component; write the path without it\n`,
  );
  expect(bad.status).toBe(2);
  const both = run(fileAndDir);
  expect(both.stderr).toBe(`osv: ${fileAndDir}:3: /a/b: /a is a file (line 1) and cannot also be a directory\n`);
  expect(both.status).toBe(2);
};
const noSecretIn = (path: string): void => {
  expect(readFileSync(path).includes(SECRET)).toBe(false);
};

describe('manifests take exactly what they name', () => {
  it('osv run --manifest: tree symlinks are symlinks in the ramfs root; bad paths are one line', () => {
    const r = osv(['run', '--manifest', symlinks, '-e', GUEST_COMMAND]);
    expectLinksInGuest(r);
    expect(r.stdout.includes(SECRET)).toBe(false);
    // Reading the absolute link in the guest finds the guest's path, not the host's file.
    const cat = osv(['run', '--manifest', symlinks, '-e', '/fsutil.wasm cat /app/etc/shadow']);
    expect(cat.stdout.includes(SECRET)).toBe(false);
    expect(cat.stderr).toMatch(/^fsutil: open \/app\/etc\/shadow: No such file or directory\n/);
    expectOneLineErrors((m) => osv(['run', '--manifest', m, '-e', '/ok']));
  });

  it('osv mkfs rofs: links stay links in the image, the secret is not in it', () => {
    const img = join(dir, 'rofs.img');
    const r = osv(['mkfs', 'rofs', symlinks, '-o', img]);
    expect(r.status).toBe(0);
    noSecretIn(img);
    expectLinksInGuest(osv(['run', '--rootfs-image', img, '-e', GUEST_COMMAND]));
    expectOneLineErrors((m) => osv(['mkfs', 'rofs', m, '-o', join(dir, 'bad.img')]));
    // Naming a link on a line of its own asks for its content: copied, with a warning naming the line.
    const named = manifest('named.manifest', ['/app/**: tree/**', '/app/etc/shadow: tree/etc/shadow']);
    const copied = osv(['mkfs', 'rofs', named, '-o', join(dir, 'named.img')]);
    expect(copied.stderr).toBe(
      `osv: ${named}:2: warning: /app/etc/shadow: ${join(dir, 'tree/etc/shadow')} is a symlink that leads out of ${join(dir, 'tree/etc')} to ${join(dir, 'outside/shadow')}; its content is copied (write !${join(dir, 'tree/etc/shadow')} to keep the link)\n` +
        `osv: wrote ${join(dir, 'named.img')}: rofs, ${readFileSync(join(dir, 'named.img')).length} bytes\n`,
    );
    expect(readFileSync(join(dir, 'named.img')).includes(SECRET)).toBe(true);
  });

  it('osv mkfs zfs: links stay links in the pool, the secret is not in it', () => {
    const pool = join(dir, 'pool.img');
    const r = osv(['mkfs', 'zfs', symlinks, '-o', pool, '--pool', 'safe', '--compression', 'off']);
    expect(r.status).toBe(0);
    noSecretIn(pool);
    expectLinksInGuest(
      osv([
        'run',
        '--manifest',
        manifest('tool.manifest', [`/fsutil.wasm: ${example('fsutil')}`]),
        '--disk',
        pool,
        '-e',
        `--mount-fs=zfs,safe,/p ${GUEST_COMMAND.replaceAll('/app/', '/p/app/')}`,
      ]),
    );
    expectOneLineErrors((m) => osv(['mkfs', 'zfs', m, '-o', join(dir, 'bad-pool.img')]));
  });

  it('osv build (rofs, zfs and ramfs): links stay links in the image, the secret is not in it', () => {
    for (const fs of ['rofs', 'zfs', 'ramfs']) {
      const img = join(dir, `built-${fs}.img`);
      const r = osv([
        'build',
        '--app', // its imports select the kernel's file-system calls
        example('fsutil'),
        '--manifest',
        symlinks,
        '--fs',
        fs,
        '--compression',
        'off',
        '--kernel-cmdline',
        GUEST_COMMAND,
        '-o',
        img,
      ]);
      expect(r.status).toBe(0);
      noSecretIn(img);
      expectLinksInGuest(osv(['run', '-i', img]));
    }
    expectOneLineErrors((m) => osv(['build', '--manifest', m, '-o', join(dir, 'bad-build.img')]));
  });
});

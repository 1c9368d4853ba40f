// Image locks against QEMU's rule and QEMU's own tools: two users of one image get along iff
// neither takes a permission the other does not share; a writer excludes writers and plain
// readers, `share-rw` lets them in; the lock dies with its holder (no stale locks); qemu-io and
// osv-ts see each other's locks; the holder is named by pid.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureNativeBinary } from '../net/tap-relay-binary.js';
import {
  BlockPermission,
  DiskLockedError,
  lockDiskImage,
  lockImageForReplacement,
  permissionsFor,
  type DiskAccess,
} from './disk-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-disk-lock-'));
let n = 0;
const image = (): string => {
  const p = join(dir, `disk${n++}.img`);
  writeFileSync(p, new Uint8Array(1 << 20));
  return p;
};
const open = (path: string, access: DiskAccess): number => {
  const fd = openSync(path, access.readOnly ? 'r' : 'r+');
  try {
    lockDiskImage(fd, path, access);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
};

/**
 * The open-file-description locks held on `path`'s inode, one `TYPE START` per lock, sorted:
 * /proc/locks lists each as `N: OFDLCK ADVISORY READ|WRITE -1 MAJOR:MINOR:INODE START END`
 * (proc(5); hex device numbers).
 */
function ofdLocks(path: string): string {
  const st = statSync(path);
  const major = (st.dev >> 8) & 0xfff;
  const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00);
  const id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1] === 'OFDLCK' && f[5] === id)
    .map((f) => `${f[3]} ${f[6]}`)
    .sort()
    .join(',');
}

const MODES: Record<string, DiskAccess> = {
  writer: { readOnly: false, shareWrite: false },
  reader: { readOnly: true, shareWrite: false },
  'writer,share-rw': { readOnly: false, shareWrite: true },
  'reader,share-rw': { readOnly: true, shareWrite: true },
};

describe('disk image locks', () => {
  it('takes QEMU permissions: a writer writes and shares reads, share-rw shares writes and resizes', () => {
    const { CONSISTENT_READ: R, WRITE: W, WRITE_UNCHANGED: U, RESIZE: Z } = BlockPermission;
    expect(permissionsFor(MODES['writer']!)).toEqual({ perm: R | W, shared: R | U });
    expect(permissionsFor(MODES['reader']!)).toEqual({ perm: R, shared: R | U });
    expect(permissionsFor(MODES['reader,share-rw']!)).toEqual({ perm: R, shared: R | U | W | Z });
  });

  it.each(Object.keys(MODES).flatMap((a) => Object.keys(MODES).map((b) => [a, b])))(
    'a %s, then a %s: allowed exactly when neither takes what the other does not share',
    (a, b) => {
      const path = image();
      const first = open(path, MODES[a]!);
      const pa = permissionsFor(MODES[a]!);
      const pb = permissionsFor(MODES[b]!);
      const compatible = (pa.perm & ~pb.shared) === 0 && (pb.perm & ~pa.shared) === 0;
      try {
        const second = open(path, MODES[b]!);
        closeSync(second);
        expect(compatible).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(DiskLockedError);
        expect(compatible).toBe(false);
        // This very process holds the first lock, and is named by pid.
        expect((e as DiskLockedError).holder).toMatch(new RegExp(` pid ${process.pid}$`));
        expect((e as Error).message).toMatch(/^.*disk\d+\.img is in use by .* pid \d+, which /);
      } finally {
        closeSync(first);
      }
    },
  );

  it('is released when the holder closes the image or dies: no stale locks', async () => {
    const path = image();
    const fd = open(path, MODES['writer']!);
    expect(() => open(path, MODES['writer']!)).toThrow(/which has it open for writing$/);
    closeSync(fd);
    closeSync(open(path, MODES['writer']!));
    // A child VMM that takes the lock and is then killed -9: the next open succeeds at once.
    // (It runs the same helper on its own open file, as lockDiskImage does.)
    const { perm, shared } = permissionsFor(MODES['writer']!);
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const { openSync } = require('node:fs');
         const { spawnSync } = require('node:child_process');
         const fd = openSync(${JSON.stringify(path)}, 'r+');
         const r = spawnSync(${JSON.stringify(ensureNativeBinary('disk-lock.c', 'osv-disk-lock'))}, ['${perm}', '${shared}'],
           { stdio: ['ignore', 'pipe', 'inherit', fd], encoding: 'utf8' });
         console.log(r.stdout.trim()); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const said = await new Promise<string>((resolve) =>
      child.stdout.once('data', (b: Buffer) => resolve(b.toString())),
    );
    expect(said).toBe('locked\n');
    expect(() => open(path, MODES['writer']!)).toThrow(new RegExp(`pid ${child.pid}, which has it open for writing`));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    closeSync(open(path, MODES['writer']!));
  });

  it('an image is replaced only when no VM holds it, and is held against VMs meanwhile', () => {
    const path = image();
    const vm = open(path, MODES['reader']!);
    expect(() => lockImageForReplacement(path)).toThrow(DiskLockedError);
    closeSync(vm);
    const release = lockImageForReplacement(path);
    expect(() => open(path, MODES['reader']!)).toThrow(/in use by .* pid \d+, which has it open for writing$/);
    release();
    closeSync(open(path, MODES['reader']!));
    lockImageForReplacement(join(dir, 'not-there.img'))(); // nothing to replace: nothing to lock
  });

  it('sees qemu-io holding the image, and qemu-io sees our lock', async () => {
    const path = image();
    const qemu = spawn('qemu-io', ['-f', 'raw', path, '-c', 'sleep 3000'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => qemu.once('exit', resolve));
    // Wait until qemu-io holds its locks, watching /proc/locks rather than trying to lock: a
    // probe's own lock, held at the moment qemu-io opens the image, makes qemu-io give up
    // ("Failed to get "write" lock") and exit, so probing raced it on a loaded machine.
    // QEMU takes its lock bytes one by one: wait until the set is there and no longer changes.
    let seen = '';
    for (let i = 0; i < 600; i++) {
      if (qemu.exitCode !== null) throw new Error(`qemu-io exited (${qemu.exitCode}) before it locked ${path}`);
      const now = ofdLocks(path);
      if (now !== '' && now === seen) break;
      seen = now;
      await new Promise((r) => setTimeout(r, 50));
    }
    let refused: unknown;
    try {
      closeSync(open(path, MODES['writer']!));
    } catch (e) {
      refused = e;
    }
    expect((refused as Error).message).toBe(
      `${path} is in use by qemu-io pid ${qemu.pid}, which has it open for writing`,
    );
    qemu.kill('SIGKILL');
    await exited;
    const fd = open(path, MODES['writer']!);
    const r = spawnSync('qemu-io', ['-f', 'raw', path, '-c', 'write 0 512'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Failed to get "write" lock/);
    closeSync(fd);
  });
});

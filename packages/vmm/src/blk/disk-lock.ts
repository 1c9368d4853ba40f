// Disk image locks, as QEMU takes them: a VM that has an image open for writing holds it, and a
// second VM — or QEMU, qemu-io — that wants to write it, or to read it without sharing writes,
// is refused. The locks are Linux open-file-description (OFD) locks on the image itself at
// QEMU's byte offsets (native/disk-lock.c explains the layout), taken on the VMM's own open
// file of the image by the short-lived osv-disk-lock helper (Node has no fcntl). They belong to
// that open file: the kernel drops them when the VMM closes the image or dies, so a lock can
// never go stale, and QEMU's tools see them. Why not a lock file beside the image: see README.
//
// Permissions (QEMU include/block/block-common.h, BLK_PERM_*): a writer takes consistent-read
// and write and shares consistent-read and write-unchanged (QEMU's defaults for a guest
// device); a reader (`ro`) takes consistent-read and shares the same, so it is refused beside a
// writer and a writer beside it; `share-rw` also shares write and resize (QEMU's share-rw=on).
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
} from 'node:fs';
import { ensureNativeBinary } from '../net/tap-relay-binary.js';

export const BlockPermission = {
  CONSISTENT_READ: 0x1,
  WRITE: 0x2,
  WRITE_UNCHANGED: 0x4,
  RESIZE: 0x8,
} as const;

/** What each permission bit lets its holder do, for messages. */
const PERM_VERBS = ['read', 'write', 'rewrite', 'resize'] as const;
const PERM_BASE = 100;
const SHARED_BASE = 200;

export interface DiskAccess {
  /** Open for reading only. */
  readonly readOnly: boolean;
  /** Let others write while this VM has the disk (QEMU's share-rw=on). */
  readonly shareWrite: boolean;
}

/** Another process holds the image in a way this open conflicts with. */
export class DiskLockedError extends Error {
  override readonly name = 'DiskLockedError';
  constructor(
    readonly path: string,
    /** Who holds it, as well as /proc tells ("osv VM pid 1234", "qemu-io pid 99"). */
    readonly holder: string,
    message: string,
  ) {
    super(message);
  }
}

/** The lock helper could not run (no C compiler to build it, a system error). */
export class DiskLockError extends Error {
  override readonly name = 'DiskLockError';
}

export function permissionsFor(access: DiskAccess): { perm: number; shared: number } {
  const perm = BlockPermission.CONSISTENT_READ | (access.readOnly ? 0 : BlockPermission.WRITE);
  let shared = BlockPermission.CONSISTENT_READ | BlockPermission.WRITE_UNCHANGED;
  if (access.shareWrite) shared |= BlockPermission.WRITE | BlockPermission.RESIZE;
  return { perm, shared };
}

/**
 * Locks the image open on `fd` (the VMM's own file of `path`) for `access`. The lock lasts as
 * long as `fd` is open. Throws DiskLockedError naming the holder when it conflicts.
 */
export function lockDiskImage(fd: number, path: string, access: DiskAccess): void {
  let helper: string;
  try {
    helper = ensureNativeBinary('disk-lock.c', 'osv-disk-lock');
  } catch (e) {
    throw new DiskLockError(`cannot lock ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  const { perm, shared } = permissionsFor(access);
  const r = spawnSync(helper, [String(perm), String(shared)], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
    encoding: 'utf8',
  });
  if (r.status === 0 && r.stdout === 'locked\n') return;
  const conflict = /^conflict (\d+)\n$/.exec(r.stdout ?? '');
  if (r.status !== 3 || !conflict) {
    const why = r.error?.message ?? (r.stderr.trim() || `exit status ${r.status}`);
    throw new DiskLockError(`cannot lock ${path}: ${why}`);
  }
  const byte = Number(conflict[1]);
  const holder = holderOf(fd, byte) ?? 'another process';
  throw new DiskLockedError(path, holder, `${path} is in use by ${holder}, ${conflictReason(byte)}`);
}

/** Why the lock on `byte` stops us, in the words of the permission it stands for. */
function conflictReason(byte: number): string {
  if (byte >= SHARED_BASE) {
    const what = PERM_VERBS[byte - SHARED_BASE] ?? `take permission ${byte - SHARED_BASE}`;
    return `which does not let others ${what} it while it has it open`;
  }
  const what = PERM_VERBS[byte - PERM_BASE] ?? `take permission ${byte - PERM_BASE}`;
  return what === 'write' ? 'which has it open for writing' : `which may ${what} it`;
}

/**
 * Opens `path` to be written from scratch (created, or emptied), holding a writer's lock
 * first: an image a VM is running is refused (DiskLockedError) instead of truncated under it,
 * as `qemu-img create` refuses an image in use. Returns the descriptor; close it when done.
 */
export function openImageForRewrite(path: string): number {
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    lockDiskImage(fd, path, { readOnly: false, shareWrite: false });
    ftruncateSync(fd, 0);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * Holds a writer's lock on the image at `path`, if there is one, while a new image is renamed
 * over it: an image a VM has open is refused (DiskLockedError naming the VM) instead of being
 * swapped away under it, where the VM's writes would go on into a file no name reaches, as
 * `qemu-img create` refuses an image in use. A read-only open is enough: the locks are shared
 * (F_RDLCK) locks on QEMU's bytes. Returns the release (close the file once renamed).
 */
export function lockImageForReplacement(path: string): () => void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return () => {};
    throw e;
  }
  try {
    lockDiskImage(fd, path, { readOnly: false, shareWrite: false });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return () => closeSync(fd);
}

/**
 * The process whose open file of the same inode locks `byte`, from /proc/PID/fdinfo (OFD locks
 * show as "lock: … OFDLCK … MAJ:MIN:INODE START END" under the fd that holds them; fcntl's
 * F_OFD_GETLK reports no pid). Only processes we may inspect are found; our own process counts
 * (another open file of the image in this VMM conflicts too).
 */
function holderOf(fd: number, byte: number): string | undefined {
  const st = fstatSync(fd);
  const major = Math.floor(st.dev / 256) & 0xfff;
  const minor = (st.dev & 0xff) | (Math.floor(st.dev / 4096) & 0xfff00);
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  const inode = `${hex(major)}:${hex(minor)}:${st.ino}`;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fdinfo`);
    } catch {
      continue;
    }
    for (const f of fds) {
      let info: string;
      try {
        info = readFileSync(`/proc/${pid}/fdinfo/${f}`, 'utf8');
      } catch {
        continue;
      }
      for (const m of info.matchAll(/^lock:.*\s(\S+:\S+:\d+) (\d+) (\d+|EOF)$/gm)) {
        const end = m[3] === 'EOF' ? Infinity : Number(m[3]);
        if (m[1] === inode && Number(m[2]) <= byte && byte <= end) return describe(pid);
      }
    }
  }
  return undefined;
}

function describe(pid: string): string {
  let comm = '';
  let cmdline: string[] = [];
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return `pid ${pid}`;
  }
  let exe = '';
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // another user's process
  }
  const isOsv = /(^|\/)node[^/]*$/.test(exe || comm) && cmdline.some((a) => /(^|\/)(osv(\.js)?|cli\.js)$/.test(a));
  return isOsv ? `osv VM pid ${pid}` : `${comm || 'process'} pid ${pid}`;
}

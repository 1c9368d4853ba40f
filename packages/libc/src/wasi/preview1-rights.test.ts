// WASI preview1 rights, call by call. The expectations come from the witx `rights` documentation
// (WASI preview1 docs.md: which right each call needs, fd_fdstat_set_rights may only remove
// rights, path_open's rights are bounded by the directory's inheriting rights) and, for the
// errno of a call a descriptor's *kind* refuses, from wasmtime's preview1 tests
// (p1_dir_fd_op_failures, p1_directory_seek, p1_path_open_read_write, p1_path_open_preopen).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetStack } from '@osv-ts/netstack';
import { WasiFsHarness } from '../../test/wasi-fs-harness.js';
import { SocketFile } from '../fd/socket-file.js';
import { wasiSocketsExtension } from './preview1-sockets.js';
import { Filetype, Rights as R, Whence } from './preview1-types.js';
import { WasiErrno as E } from './wasi-errno.js';
import { maxRights } from './wasi-rights.js';

const FILE = maxRights('regular-file').base;
const DIR = maxRights('directory');

function withFile(): { h: WasiFsHarness; fd: number } {
  const h = new WasiFsHarness(['/'], (h) => h.writeFile('/f', 'hello'));
  const { errno, fd } = h.open(3, 'f', { base: FILE, inheriting: 0 });
  expect(errno).toBe(E.SUCCESS);
  return { h, fd };
}

/** The fd calls of preview1 that need rights, and what witx says each one needs. */
interface FdCall {
  readonly name: string;
  /** Every one of these rights. */
  readonly allOf: number;
  /** At least one of these (fd_tell and the offset-preserving fd_seek: FD_TELL or FD_SEEK). */
  readonly anyOf?: number;
  readonly run: (h: WasiFsHarness, fd: number) => number;
}

const FD_CALLS: readonly FdCall[] = [
  { name: 'fd_read', allOf: R.FD_READ, run: (h, fd) => h.read(fd).errno },
  { name: 'fd_write', allOf: R.FD_WRITE, run: (h, fd) => h.write(fd, 'x').errno },
  { name: 'fd_pread', allOf: R.FD_READ | R.FD_SEEK, run: (h, fd) => h.pread(fd, 4, 0).errno },
  { name: 'fd_pwrite', allOf: R.FD_WRITE | R.FD_SEEK, run: (h, fd) => h.pwrite(fd, 'y', 1) },
  { name: 'fd_seek(set)', allOf: R.FD_SEEK, run: (h, fd) => h.seek(fd, 0, Whence.SET).errno },
  { name: 'fd_seek(end)', allOf: R.FD_SEEK, run: (h, fd) => h.seek(fd, 0, Whence.END).errno },
  { name: 'fd_seek(cur, 1)', allOf: R.FD_SEEK, run: (h, fd) => h.seek(fd, 1, Whence.CUR).errno },
  { name: 'fd_seek(cur, 0)', allOf: 0, anyOf: R.FD_SEEK | R.FD_TELL, run: (h, fd) => h.seek(fd, 0, Whence.CUR).errno },
  { name: 'fd_tell', allOf: 0, anyOf: R.FD_SEEK | R.FD_TELL, run: (h, fd) => h.tell(fd).errno },
  { name: 'fd_filestat_get', allOf: R.FD_FILESTAT_GET, run: (h, fd) => h.filestat(fd).errno },
  { name: 'fd_fdstat_set_flags', allOf: R.FD_FDSTAT_SET_FLAGS, run: (h, fd) => h.fn.fd_fdstat_set_flags!(fd, 0) },
  { name: 'fd_sync', allOf: R.FD_SYNC, run: (h, fd) => h.fn.fd_sync!(fd) },
  { name: 'fd_datasync', allOf: R.FD_DATASYNC, run: (h, fd) => h.fn.fd_datasync!(fd) },
  { name: 'fd_advise', allOf: R.FD_ADVISE, run: (h, fd) => h.fn.fd_advise!(fd, 0n, 0n, 0) },
  { name: 'fd_allocate', allOf: R.FD_ALLOCATE, run: (h, fd) => h.fn.fd_allocate!(fd, 0n, 8n) },
  { name: 'fd_filestat_set_size', allOf: R.FD_FILESTAT_SET_SIZE, run: (h, fd) => h.fn.fd_filestat_set_size!(fd, 8n) },
  {
    name: 'fd_filestat_set_times',
    allOf: R.FD_FILESTAT_SET_TIMES,
    run: (h, fd) => h.fn.fd_filestat_set_times!(fd, 0n, 0n, 2 | 8),
  },
  { name: 'poll_oneoff(fd_read)', allOf: R.POLL_FD_READWRITE, run: (h, fd) => h.pollFd(fd, 1).eventError },
  { name: 'poll_oneoff(fd_write)', allOf: R.POLL_FD_READWRITE, run: (h, fd) => h.pollFd(fd, 2).eventError },
];

const allowed = (c: FdCall, rights: number): boolean =>
  (rights & c.allOf) === c.allOf && (c.anyOf === undefined || (rights & c.anyOf) !== 0);

describe('fd_fdstat_set_rights', () => {
  it('drops rights, which fdstat then reports, and never adds any back', () => {
    const { h, fd } = withFile();
    expect(h.fdstat(fd).base).toBe(FILE);
    const less = FILE & ~(R.FD_READ | R.FD_WRITE);
    expect(h.setRights(fd, less, 0)).toBe(E.SUCCESS);
    expect(h.fdstat(fd).base).toBe(less);
    // witx: "returns errno::notcapable if called in a way that would attempt to add rights".
    expect(h.setRights(fd, less | R.FD_READ, 0)).toBe(E.NOTCAPABLE);
    expect(h.setRights(fd, FILE, 0)).toBe(E.NOTCAPABLE);
    expect(h.setRights(fd, less, R.FD_READ)).toBe(E.NOTCAPABLE); // inheriting rights only shrink too
    expect(h.setRights(fd, BigInt(less) | (1n << 40n), 0)).toBe(E.NOTCAPABLE); // a bit preview1 does not define
    expect(h.setRights(fd, -1n, 0)).toBe(E.NOTCAPABLE);
    expect(h.fdstat(fd).base).toBe(less);
    expect(h.setRights(fd, less, 0)).toBe(E.SUCCESS); // the same set again is not an addition
  });

  it('shrinks a directory: base and inheriting independently', () => {
    const h = new WasiFsHarness(['/']);
    expect(h.setRights(3, DIR.base & ~R.PATH_OPEN, DIR.inheriting & ~R.FD_WRITE)).toBe(E.SUCCESS);
    expect(h.fdstat(3)).toMatchObject({ base: DIR.base & ~R.PATH_OPEN, inheriting: DIR.inheriting & ~R.FD_WRITE });
    expect(h.setRights(3, DIR.base, DIR.inheriting & ~R.FD_WRITE)).toBe(E.NOTCAPABLE);
  });

  it('is per descriptor: fd_renumber moves the reduced rights with the fd', () => {
    const { h, fd } = withFile();
    expect(h.setRights(fd, R.FD_READ, 0)).toBe(E.SUCCESS);
    const other = h.open(3, 'f', { base: FILE, inheriting: 0 }).fd;
    expect(h.fn.fd_renumber!(fd, other)).toBe(E.SUCCESS);
    expect(h.fdstat(other).base).toBe(R.FD_READ);
    expect(h.write(other, 'x').errno).toBe(E.NOTCAPABLE);
    expect(h.read(other).text).toBe('hello');
  });
});

describe('every fd call checks its right (witx rights)', () => {
  it('after FD_READ and FD_WRITE are dropped, reads and writes of every kind are ENOTCAPABLE', () => {
    const { h, fd } = withFile();
    expect(h.setRights(fd, FILE & ~(R.FD_READ | R.FD_WRITE), 0)).toBe(E.SUCCESS);
    expect(h.read(fd).errno).toBe(E.NOTCAPABLE);
    expect(h.write(fd, 'x').errno).toBe(E.NOTCAPABLE);
    expect(h.pread(fd, 4, 0).errno).toBe(E.NOTCAPABLE);
    expect(h.pwrite(fd, 'x', 0)).toBe(E.NOTCAPABLE);
    // The rights that remain keep working: FD_SEEK survives (as wasi-testsuite's
    // fd_fdstat_set_rights asserts), and so does everything else the fd holds.
    expect(h.seek(fd, 2, Whence.SET)).toEqual({ errno: E.SUCCESS, offset: 2 });
    expect(h.filestat(fd)).toMatchObject({ errno: E.SUCCESS, size: 5 });
    expect(h.vfs.readFile('/f')).toEqual(new TextEncoder().encode('hello'));
  });

  it('with no rights left, every call that needs one is ENOTCAPABLE', () => {
    const { h, fd } = withFile();
    expect(h.setRights(fd, 0, 0)).toBe(E.SUCCESS);
    for (const c of FD_CALLS)
      expect({ call: c.name, errno: c.run(h, fd) }).toEqual({ call: c.name, errno: E.NOTCAPABLE });
    // Nothing was changed by the refused calls.
    expect(h.vfs.readFile('/f')).toEqual(new TextEncoder().encode('hello'));
    // fd_fdstat_get, fd_renumber and fd_close need no right.
    expect(h.fdstat(fd).errno).toBe(E.SUCCESS);
    expect(h.fn.fd_close!(fd)).toBe(E.SUCCESS);
  });

  for (const c of FD_CALLS) {
    it(`${c.name} needs exactly ${c.anyOf ? 'FD_SEEK or FD_TELL' : 'its own right'}`, () => {
      const needed = c.allOf | (c.anyOf ?? 0);
      // Every right except the needed ones: refused.
      const without = withFile();
      expect(without.h.setRights(without.fd, FILE & ~needed, 0)).toBe(E.SUCCESS);
      expect(c.run(without.h, without.fd)).toBe(E.NOTCAPABLE);
      // Only the needed ones (one of them, for anyOf): allowed.
      for (const one of c.anyOf ? [R.FD_SEEK, R.FD_TELL] : [0]) {
        const only = withFile();
        expect(only.h.setRights(only.fd, c.allOf | one, 0)).toBe(E.SUCCESS);
        expect(c.run(only.h, only.fd)).toBe(E.SUCCESS);
      }
    });
  }

  it('a call succeeds exactly when the fd holds what witx says it needs (random rights)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: FILE }), (bits) => {
        const rights = bits & FILE;
        const { h, fd } = withFile();
        expect(h.setRights(fd, rights, 0)).toBe(E.SUCCESS);
        for (const c of FD_CALLS) {
          const errno = c.run(h, fd);
          expect({ call: c.name, rights, errno }).toEqual({
            call: c.name,
            rights,
            errno: allowed(c, rights) ? E.SUCCESS : E.NOTCAPABLE,
          });
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the open mode comes first: a write-only fd reads EBADF, a read-only fd writes EBADF (POSIX, wasmtime)', () => {
    const h = new WasiFsHarness(['/'], (h) => h.writeFile('/f', 'abc'));
    const wo = h.open(3, 'f', { base: R.FD_WRITE, inheriting: 0 }).fd;
    expect(h.fdstat(wo).base).toBe(R.FD_WRITE);
    expect(h.read(wo).errno).toBe(E.BADF);
    expect(h.write(wo, 'x').errno).toBe(E.SUCCESS);
    const ro = h.open(3, 'f', { base: R.FD_READ, inheriting: 0 }).fd;
    expect(h.write(ro, 'x').errno).toBe(E.BADF);
    expect(h.pwrite(ro, 'x', 0)).toBe(E.BADF);
    expect(h.read(ro).text).toBe('xbc');
    // A right the fd was never given is ENOTCAPABLE (fd_seek without FD_SEEK).
    expect(h.seek(ro, 0, Whence.SET).errno).toBe(E.NOTCAPABLE);
  });
});

describe('directory fds refuse byte-stream calls with EBADF (wasmtime p1_dir_fd_op_failures)', () => {
  const calls: [string, (h: WasiFsHarness, fd: number) => number][] = [
    ['fd_read', (h, fd) => h.read(fd).errno],
    ['fd_pread', (h, fd) => h.pread(fd, 4, 0).errno],
    ['fd_write', (h, fd) => h.write(fd, 'x').errno],
    ['fd_pwrite', (h, fd) => h.pwrite(fd, 'x', 0)],
    ['fd_seek(cur)', (h, fd) => h.seek(fd, 0, Whence.CUR).errno],
    ['fd_seek(set)', (h, fd) => h.seek(fd, 0, Whence.SET).errno],
    ['fd_seek(end)', (h, fd) => h.seek(fd, 0, Whence.END).errno],
    ['fd_tell', (h, fd) => h.tell(fd).errno],
    ['fd_advise', (h, fd) => h.fn.fd_advise!(fd, 0n, 0n, 4 /* DONTNEED */)],
    ['fd_allocate', (h, fd) => h.fn.fd_allocate!(fd, 0n, 1n)],
    ['fd_datasync', (h, fd) => h.fn.fd_datasync!(fd)],
    ['fd_sync', (h, fd) => h.fn.fd_sync!(fd)],
    ['fd_fdstat_set_flags', (h, fd) => h.fn.fd_fdstat_set_flags!(fd, 4 /* NONBLOCK */)],
    ['fd_filestat_set_size', (h, fd) => h.fn.fd_filestat_set_size!(fd, 0n)],
  ];

  it('on the preopen and on a directory opened through it', () => {
    const h = new WasiFsHarness(['/'], (h) => h.vfs.mkdir('/dir'));
    // wasmtime p1_directory_seek opens the directory with no rights at all; EBADF still.
    const sub = h.open(3, 'dir', { oflags: 2 /* DIRECTORY */, base: 0, inheriting: 0 }).fd;
    const full = h.open(3, 'dir', { oflags: 2 }).fd;
    for (const fd of [3, sub, full])
      for (const [name, run] of calls) expect({ fd, name, errno: run(h, fd) }).toEqual({ fd, name, errno: E.BADF });
  });

  it('but stat, set times and readdir work on them', () => {
    const h = new WasiFsHarness(['/']);
    expect(h.filestat(3)).toMatchObject({ errno: E.SUCCESS, filetype: Filetype.DIRECTORY });
    expect(h.fn.fd_filestat_set_times!(3, 0n, 0n, 2 | 8)).toBe(E.SUCCESS);
    expect(h.readdir(3)).toBe(E.SUCCESS);
  });

  it('a regular file refuses path_open with ENOTDIR, fd_readdir and the other path_* calls with EBADF (wasmtime)', () => {
    const { h, fd } = withFile();
    expect(h.open(fd, 'x').errno).toBe(E.NOTDIR); // p1_path_open_dirfd_not_dir
    expect(h.readdir(fd)).toBe(E.BADF);
    expect(h.pathCall('path_create_directory', fd, 'x')).toBe(E.BADF);
    expect(h.pathStat(fd, 'x').errno).toBe(E.BADF);
    expect(h.symlink('f', fd, 'x')).toBe(E.BADF);
    // stdio and sockets are not files at all: EBADF for path_open too.
    expect(h.open(0, 'x').errno).toBe(E.BADF);
  });
});

describe('directory rights', () => {
  it('a directory holds the path rights, not the byte-stream ones; it passes file rights on', () => {
    const h = new WasiFsHarness(['/']);
    const st = h.fdstat(3);
    expect(st.filetype).toBe(Filetype.DIRECTORY);
    // What wasmtime's p1_path_open_preopen requires of a preopen, base and inheriting.
    const required =
      R.PATH_CREATE_DIRECTORY |
      R.PATH_CREATE_FILE |
      R.PATH_LINK_SOURCE |
      R.PATH_LINK_TARGET |
      R.PATH_OPEN |
      R.FD_READDIR |
      R.PATH_READLINK |
      R.PATH_RENAME_SOURCE |
      R.PATH_RENAME_TARGET |
      R.PATH_SYMLINK |
      R.PATH_REMOVE_DIRECTORY |
      R.PATH_UNLINK_FILE |
      R.PATH_FILESTAT_GET |
      R.PATH_FILESTAT_SET_TIMES |
      R.FD_FILESTAT_GET |
      R.FD_FILESTAT_SET_TIMES;
    expect(st.base & required).toBe(required);
    expect(st.inheriting & (required | FILE)).toBe(required | FILE);
    const byteStream =
      R.FD_READ |
      R.FD_WRITE |
      R.FD_SEEK |
      R.FD_TELL |
      R.FD_SYNC |
      R.FD_DATASYNC |
      R.FD_ADVISE |
      R.FD_ALLOCATE |
      R.FD_FDSTAT_SET_FLAGS |
      R.FD_FILESTAT_SET_SIZE;
    expect(st.base & byteStream).toBe(0);
  });

  it("path_open of '.' with the preopen's own rights, with none, and read-only succeeds; read/write is EISDIR", () => {
    const h = new WasiFsHarness(['/']);
    const st = h.fdstat(3);
    expect(h.open(3, '.', { base: st.base, inheriting: st.inheriting }).errno).toBe(E.SUCCESS);
    expect(h.open(3, '.', { base: 0, inheriting: 0 }).errno).toBe(E.SUCCESS);
    expect(h.open(3, '.', { oflags: 2, base: 0, inheriting: 0 }).errno).toBe(E.SUCCESS);
    expect(h.open(3, '.', { oflags: 2, base: R.FD_READ, inheriting: 0 }).errno).toBe(E.SUCCESS);
    expect(h.open(3, '.', { oflags: 2, base: R.FD_READ | R.FD_WRITE, inheriting: 0 }).errno).toBe(E.ISDIR);
  });
});

describe('path_open: the new fd never holds more than the directory lets it inherit', () => {
  it('asking for a right outside the inheriting set is ENOTCAPABLE (base or inheriting)', () => {
    const h = new WasiFsHarness(['/'], (h) => h.writeFile('/f', 'x'));
    expect(h.setRights(3, DIR.base, DIR.inheriting & ~R.FD_WRITE)).toBe(E.SUCCESS);
    expect(h.open(3, 'f', { base: R.FD_READ | R.FD_WRITE, inheriting: 0 }).errno).toBe(E.NOTCAPABLE);
    expect(h.open(3, 'f', { base: R.FD_READ, inheriting: R.FD_WRITE }).errno).toBe(E.NOTCAPABLE);
    expect(h.open(3, 'f', { base: 1n << 31n, inheriting: 0 }).errno).toBe(E.NOTCAPABLE);
    const ro = h.open(3, 'f', { base: R.FD_READ, inheriting: 0 });
    expect(ro.errno).toBe(E.SUCCESS);
    expect(h.write(ro.fd, 'y').errno).toBe(E.BADF);
  });

  it('rights the file type cannot use are trimmed (witx path_open), not refused', () => {
    const h = new WasiFsHarness(['/'], (h) => {
      h.writeFile('/f', 'x');
      h.vfs.mkdir('/d');
    });
    const f = h.open(3, 'f', { base: DIR.inheriting, inheriting: DIR.inheriting });
    expect(h.fdstat(f.fd)).toMatchObject({ base: FILE, inheriting: 0 });
    const d = h.open(3, 'd', {
      oflags: 2,
      base: DIR.inheriting & ~R.FD_WRITE & ~R.FD_READ,
      inheriting: DIR.inheriting,
    });
    expect(h.fdstat(d.fd)).toMatchObject({ base: DIR.base, inheriting: DIR.inheriting });
  });

  it('a restriction is inherited down the tree: a subdirectory cannot hand back a dropped right', () => {
    const h = new WasiFsHarness(['/'], (h) => {
      h.vfs.mkdir('/d');
      h.writeFile('/d/f', 'x');
    });
    expect(h.setRights(3, DIR.base, DIR.inheriting & ~R.FD_WRITE)).toBe(E.SUCCESS);
    const d = h.open(3, 'd', { oflags: 2 });
    expect(d.errno).toBe(E.SUCCESS);
    expect(h.fdstat(d.fd).inheriting & R.FD_WRITE).toBe(0);
    expect(h.open(d.fd, 'f', { base: R.FD_WRITE, inheriting: 0 }).errno).toBe(E.NOTCAPABLE);
    expect(h.setRights(d.fd, DIR.base, DIR.inheriting)).toBe(E.NOTCAPABLE);
  });

  it('creat needs PATH_CREATE_FILE, trunc PATH_FILESTAT_SET_SIZE, dsync/rsync/sync FD_DATASYNC/FD_SYNC', () => {
    const h = new WasiFsHarness(['/'], (h) => h.writeFile('/f', 'data'));
    const creat = 1;
    const trunc = 8;
    expect(h.setRights(3, DIR.base & ~R.PATH_CREATE_FILE, DIR.inheriting)).toBe(E.SUCCESS);
    expect(h.open(3, 'new', { oflags: creat }).errno).toBe(E.NOTCAPABLE);
    expect(h.open(3, 'f', { oflags: creat | trunc }).errno).toBe(E.NOTCAPABLE);
    expect(h.open(3, 'f', { oflags: trunc }).errno).toBe(E.SUCCESS);
    expect(h.vfs.stat('/f').size).toBe(0);
    h.writeFile('/f', 'data');
    // wasi-testsuite truncation_rights: without PATH_FILESTAT_SET_SIZE, trunc is refused.
    expect(h.setRights(3, DIR.base & ~R.PATH_CREATE_FILE & ~R.PATH_FILESTAT_SET_SIZE, DIR.inheriting)).toBe(E.SUCCESS);
    expect(h.open(3, 'f', { oflags: trunc, base: 0, inheriting: 0 }).errno).toBe(E.NOTCAPABLE);
    expect(h.vfs.stat('/f').size).toBe(4);
    expect(h.open(3, 'f', { base: 0, inheriting: 0 }).errno).toBe(E.SUCCESS);

    const s = new WasiFsHarness(['/'], (h) => h.writeFile('/f', 'data'));
    expect(s.setRights(3, DIR.base, DIR.inheriting & ~R.FD_SYNC)).toBe(E.SUCCESS);
    expect(s.open(3, 'f', { fdflags: 8 /* RSYNC */, base: R.FD_READ }).errno).toBe(E.NOTCAPABLE);
    expect(s.open(3, 'f', { fdflags: 16 /* SYNC */, base: R.FD_READ }).errno).toBe(E.NOTCAPABLE);
    expect(s.open(3, 'f', { fdflags: 2 /* DSYNC */, base: R.FD_READ }).errno).toBe(E.SUCCESS); // FD_DATASYNC allows it
    expect(s.setRights(3, DIR.base, DIR.inheriting & ~R.FD_SYNC & ~R.FD_DATASYNC)).toBe(E.SUCCESS);
    expect(s.open(3, 'f', { fdflags: 2, base: R.FD_READ }).errno).toBe(E.NOTCAPABLE);
    expect(s.open(3, 'f', { base: R.FD_READ }).errno).toBe(E.SUCCESS);
  });
});

describe('path_* calls check the directory fd right each needs', () => {
  const cases: [string, number, (h: WasiFsHarness) => number][] = [
    ['path_open', R.PATH_OPEN, (h) => h.open(3, 'f').errno],
    ['path_create_directory', R.PATH_CREATE_DIRECTORY, (h) => h.pathCall('path_create_directory', 3, 'nd')],
    ['path_remove_directory', R.PATH_REMOVE_DIRECTORY, (h) => h.pathCall('path_remove_directory', 3, 'd')],
    ['path_unlink_file', R.PATH_UNLINK_FILE, (h) => h.pathCall('path_unlink_file', 3, 'f')],
    ['path_filestat_get', R.PATH_FILESTAT_GET, (h) => h.pathStat(3, 'f').errno],
    ['path_filestat_set_times', R.PATH_FILESTAT_SET_TIMES, (h) => h.setTimes(3, 'f')],
    ['path_readlink', R.PATH_READLINK, (h) => h.readlink(3, 'l').errno],
    ['path_symlink', R.PATH_SYMLINK, (h) => h.symlink('f', 3, 'l2')],
    ['path_rename (source)', R.PATH_RENAME_SOURCE, (h) => h.rename(3, 'f', 4, 'g')],
    ['path_rename (target)', R.PATH_RENAME_TARGET, (h) => h.rename(4, 'f', 3, 'g')],
    ['path_link (source)', R.PATH_LINK_SOURCE, (h) => h.link(3, 'f', 4, 'g')],
    ['path_link (target)', R.PATH_LINK_TARGET, (h) => h.link(4, 'f', 3, 'g')],
    ['fd_readdir', R.FD_READDIR, (h) => h.readdir(3)],
  ];
  const tree = (h: WasiFsHarness) => {
    h.writeFile('/f', 'x');
    h.vfs.mkdir('/d');
    h.vfs.symlink('f', '/l');
  };
  for (const [name, right, run] of cases) {
    it(`${name}: ENOTCAPABLE without its right, success with it`, () => {
      const without = new WasiFsHarness(['/', '/'], tree);
      expect(without.setRights(3, DIR.base & ~right, DIR.inheriting)).toBe(E.SUCCESS);
      expect(run(without)).toBe(E.NOTCAPABLE);
      expect(without.list('/')).toEqual(['d', 'f', 'l']); // a refused call changed nothing
      expect(run(new WasiFsHarness(['/', '/'], tree))).toBe(E.SUCCESS);
    });
  }
});

describe('socket calls check their rights before touching the socket', () => {
  // witx: sock_recv needs FD_READ, sock_send FD_WRITE, sock_shutdown SOCK_SHUTDOWN, sock_accept
  // SOCK_ACCEPT. While the right is held an unconnected TCP socket answers whatever the socket
  // layer answers; once the right is dropped the call is ENOTCAPABLE.
  const calls: [string, number, (fn: Record<string, (...a: (number | bigint)[]) => number>, fd: number) => number][] = [
    ['sock_recv', R.FD_READ, (fn, fd) => fn.sock_recv!(fd, 64, 1, 0, 128, 132)],
    ['sock_send', R.FD_WRITE, (fn, fd) => fn.sock_send!(fd, 64, 1, 0, 128)],
    ['sock_shutdown', R.SOCK_SHUTDOWN, (fn, fd) => fn.sock_shutdown!(fd, 3)],
    ['sock_accept', R.SOCK_ACCEPT, (fn, fd) => fn.sock_accept!(fd, 4 /* NONBLOCK */, 128)],
  ];
  for (const [name, right, run] of calls) {
    it(`${name} needs ${name === 'sock_recv' ? 'FD_READ' : name === 'sock_send' ? 'FD_WRITE' : name.toUpperCase()}`, () => {
      const h = new WasiFsHarness(['/']);
      h.wasi.extend(wasiSocketsExtension());
      const fn = h.wasi.imports() as unknown as Record<string, (...a: (number | bigint)[]) => number>;
      const stack = new NetStack({ clock: h.process.clock, entropy: { fill: () => {} } });
      const socket = new SocketFile(stack.tcpSocket(4), h.process.sched, 1n);
      socket.statusFlags |= 0o4000; // O_NONBLOCK: nothing may block in this test
      const max = maxRights('socket-stream');
      const fd = h.process.fds.allocate(socket, { rightsBase: max.base, rightsInheriting: 0 });
      const held = run(fn, fd);
      expect(held).not.toBe(E.NOTCAPABLE);
      expect(h.setRights(fd, max.base & ~right, 0)).toBe(E.SUCCESS);
      expect(run(fn, fd)).toBe(E.NOTCAPABLE);
    });
  }
});

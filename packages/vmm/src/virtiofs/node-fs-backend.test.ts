// NodeFsBackend answered directly with FUSE requests, as a hostile guest could send them:
// errno as Linux gives it on the host, and an escape suite (.., names with "/", absolute and
// relative symlinks made by the host or the guest, hard links, forged node ids, a directory
// swapped for a symlink between lookup and use), every one refused or confined.
import {
  readdirSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  lstatSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Errno } from '@osv-ts/kernel-api';
import { FUSE_ROOT_ID, type FuseReply, type FuseRequestBody } from '@osv-ts/drivers-virtio';
import { NodeFsBackend } from './node-fs-backend.js';

let base: string;
let share: string;
let outside: string;
let backend: NodeFsBackend;
let unique = 1n;

function call(nodeid: bigint, body: FuseRequestBody, b = backend): FuseReply {
  const r = b.handle({ header: { opcode: 0, unique: unique++, nodeid, uid: 0, gid: 0, pid: 1 }, body });
  if (r === undefined) throw new Error(`${body.op}: no reply`);
  return r;
}

function errnoOf(r: FuseReply): number {
  return r.kind === 'error' ? r.errno : 0;
}

function lookup(parent: bigint, name: string, b = backend): bigint {
  const r = call(parent, { op: 'lookup', name }, b);
  if (r.kind !== 'entry') throw new Error(`lookup ${name}: errno ${errnoOf(r)}`);
  return r.entry.nodeid;
}

function readAll(nodeid: bigint): string {
  const o = call(nodeid, { op: 'open', flags: 0 });
  if (o.kind !== 'open') throw new Error(`open: errno ${errnoOf(o)}`);
  const r = call(nodeid, { op: 'read', fh: o.fh, offset: 0n, size: 4096 });
  call(nodeid, { op: 'release', fh: o.fh, flags: 0 });
  if (r.kind !== 'data') throw new Error(`read: errno ${errnoOf(r)}`);
  return new TextDecoder().decode(r.data);
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'osv-virtiofs-'));
  share = join(base, 'share');
  outside = join(base, 'outside');
  mkdirSync(share);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'SECRET');
  writeFileSync(join(share, 'hello.txt'), 'hello');
  mkdirSync(join(share, 'sub'));
  backend = new NodeFsBackend(share);
});

afterEach(() => {
  backend.close();
  rmSync(base, { recursive: true, force: true });
});

describe('NodeFsBackend: operations and errno as Linux gives them', () => {
  it('creates, writes, reads back, renames and removes, with the host seeing each step', () => {
    const c = call(FUSE_ROOT_ID, { op: 'create', flags: 0o1 | 0o300, mode: 0o100644, umask: 0o022, name: 'out.txt' });
    expect(c.kind).toBe('create');
    if (c.kind !== 'create') return;
    expect(
      call(c.entry.nodeid, { op: 'write', fh: c.fh, offset: 0n, data: new TextEncoder().encode('written') }),
    ).toEqual({
      kind: 'write',
      size: 7,
    });
    call(c.entry.nodeid, { op: 'release', fh: c.fh, flags: 0 });
    expect(readFileSync(join(share, 'out.txt'), 'utf8')).toBe('written');
    expect(lstatSync(join(share, 'out.txt')).mode & 0o777).toBe(0o644);
    expect(readAll(c.entry.nodeid)).toBe('written');
    expect(
      call(FUSE_ROOT_ID, { op: 'rename', newdir: lookup(FUSE_ROOT_ID, 'sub'), oldname: 'out.txt', newname: 'moved' })
        .kind,
    ).toBe('none');
    expect(readFileSync(join(share, 'sub', 'moved'), 'utf8')).toBe('written');
    expect(call(lookup(FUSE_ROOT_ID, 'sub'), { op: 'unlink', name: 'moved' }).kind).toBe('none');
    expect(existsSync(join(share, 'sub', 'moved'))).toBe(false);
  });

  it('answers ENOENT, EEXIST, ENOTEMPTY, EISDIR, ENOTDIR and EXDEV-free renames as the host does', () => {
    expect(errnoOf(call(FUSE_ROOT_ID, { op: 'lookup', name: 'missing' }))).toBe(Errno.ENOENT);
    expect(errnoOf(call(FUSE_ROOT_ID, { op: 'mkdir', mode: 0o755, umask: 0, name: 'sub' }))).toBe(Errno.EEXIST);
    writeFileSync(join(share, 'sub', 'f'), '');
    expect(errnoOf(call(FUSE_ROOT_ID, { op: 'rmdir', name: 'sub' }))).toBe(Errno.ENOTEMPTY);
    expect(errnoOf(call(FUSE_ROOT_ID, { op: 'unlink', name: 'sub' }))).toBe(Errno.EISDIR);
    expect(errnoOf(call(FUSE_ROOT_ID, { op: 'rmdir', name: 'hello.txt' }))).toBe(Errno.ENOTDIR);
    expect(errnoOf(call(lookup(FUSE_ROOT_ID, 'hello.txt'), { op: 'lookup', name: 'x' }))).toBe(Errno.ENOTDIR);
    expect(errnoOf(call(lookup(FUSE_ROOT_ID, 'sub'), { op: 'open', flags: 0 }))).toBe(Errno.EISDIR);
    expect(
      errnoOf(call(FUSE_ROOT_ID, { op: 'create', flags: 0o301, mode: 0o100644, umask: 0, name: 'hello.txt' })),
    ).toBe(Errno.EEXIST);
  });

  it('lists a directory in pieces that fit the size asked for, and truncates through SETATTR', () => {
    for (let i = 0; i < 20; i++) writeFileSync(join(share, 'sub', `file-${i}`), 'x'.repeat(i));
    const sub = lookup(FUSE_ROOT_ID, 'sub');
    const o = call(sub, { op: 'opendir', flags: 0 });
    if (o.kind !== 'open') throw new Error('opendir');
    const names: string[] = [];
    let offset = 0n;
    for (;;) {
      const r = call(sub, { op: 'readdir', fh: o.fh, offset, size: 200 });
      if (r.kind !== 'dirents') throw new Error('readdir');
      if (r.entries.length === 0) break;
      expect(r.entries.length).toBeLessThanOrEqual(6); // 200 bytes hold 6 records of 32 bytes
      for (const d of r.entries) names.push(d.name);
      offset = r.entries.at(-1)!.off;
    }
    expect(names.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `file-${i}`).sort());
    const f = lookup(sub, 'file-9');
    const t = call(f, {
      op: 'setattr',
      valid: 8,
      fh: 0n,
      size: 3n,
      atime: 0n,
      atimensec: 0,
      mtime: 0n,
      mtimensec: 0,
      mode: 0,
      uid: 0,
      gid: 0,
    });
    expect(t.kind === 'attr' && t.attr.size).toBe(3n);
    expect(readFileSync(join(share, 'sub', 'file-9'), 'utf8')).toBe('xxx');
  });

  it('releases a node once the guest forgets every lookup of it', () => {
    const before = backend.nodeCount;
    const a = lookup(FUSE_ROOT_ID, 'hello.txt');
    expect(lookup(FUSE_ROOT_ID, 'hello.txt')).toBe(a); // one node per host inode
    expect(backend.nodeCount).toBe(before + 1);
    backend.handle({
      header: { opcode: 2, unique: 0n, nodeid: a, uid: 0, gid: 0, pid: 0 },
      body: { op: 'forget', nlookup: 1n },
    });
    expect(backend.nodeCount).toBe(before + 1);
    backend.handle({
      header: { opcode: 2, unique: 0n, nodeid: a, uid: 0, gid: 0, pid: 0 },
      body: { op: 'forget', nlookup: 1n },
    });
    expect(backend.nodeCount).toBe(before);
    expect(errnoOf(call(a, { op: 'getattr', flags: 0, fh: 0n }))).toBe(Errno.EBADF);
  });
});

describe('NodeFsBackend: a read-only share', () => {
  it('refuses every modification with EROFS and still reads', () => {
    const ro = new NodeFsBackend(share, { readOnly: true });
    try {
      const hello = lookup(FUSE_ROOT_ID, 'hello.txt', ro);
      const attempts: FuseRequestBody[] = [
        { op: 'create', flags: 0o301, mode: 0o100644, umask: 0, name: 'new' },
        { op: 'mkdir', mode: 0o755, umask: 0, name: 'd' },
        { op: 'unlink', name: 'hello.txt' },
        { op: 'rmdir', name: 'sub' },
        { op: 'symlink', name: 'l', target: 'hello.txt' },
        { op: 'rename', newdir: FUSE_ROOT_ID, oldname: 'hello.txt', newname: 'x' },
        { op: 'link', oldnodeid: hello, newname: 'h2' },
      ];
      for (const body of attempts)
        expect([body.op, errnoOf(call(FUSE_ROOT_ID, body, ro))]).toEqual([body.op, Errno.EROFS]);
      const rel = (b: FuseRequestBody): number => errnoOf(call(hello, b, ro));
      expect(rel({ op: 'open', flags: 1 })).toBe(Errno.EROFS);
      expect(rel({ op: 'open', flags: 0o1000 })).toBe(Errno.EROFS); // O_TRUNC
      expect(
        rel({
          op: 'setattr',
          valid: 8,
          fh: 0n,
          size: 0n,
          atime: 0n,
          atimensec: 0,
          mtime: 0n,
          mtimensec: 0,
          mode: 0,
          uid: 0,
          gid: 0,
        }),
      ).toBe(Errno.EROFS);
      const o = call(hello, { op: 'open', flags: 0 }, ro);
      expect(o.kind).toBe('open');
      if (o.kind === 'open')
        expect(errnoOf(call(hello, { op: 'write', fh: o.fh, offset: 0n, data: Uint8Array.of(1) }, ro))).toBe(
          Errno.EROFS,
        );
      expect(readFileSync(join(share, 'hello.txt'), 'utf8')).toBe('hello');
    } finally {
      ro.close();
    }
  });
});

describe('NodeFsBackend: escapes, all refused', () => {
  it('refuses "..", ".", and names with "/" in every op that takes a name', () => {
    for (const name of ['..', '.', '../outside', 'sub/../../outside', '/etc']) {
      expect([name, errnoOf(call(FUSE_ROOT_ID, { op: 'lookup', name }))]).toEqual([name, Errno.EINVAL]);
      expect(errnoOf(call(FUSE_ROOT_ID, { op: 'mkdir', mode: 0o755, umask: 0, name }))).toBe(Errno.EINVAL);
      expect(errnoOf(call(FUSE_ROOT_ID, { op: 'create', flags: 0o301, mode: 0o100644, umask: 0, name }))).toBe(
        Errno.EINVAL,
      );
      expect(errnoOf(call(FUSE_ROOT_ID, { op: 'unlink', name }))).toBe(Errno.EINVAL);
      expect(
        errnoOf(call(FUSE_ROOT_ID, { op: 'rename', newdir: FUSE_ROOT_ID, oldname: 'hello.txt', newname: name })),
      ).toBe(Errno.EINVAL);
    }
    expect(readdirNames(outside)).toEqual(['secret']);
    expect(existsSync(join(share, 'hello.txt'))).toBe(true);
  });

  it('does not follow an absolute symlink the host placed in the share', () => {
    symlinkSync(outside, join(share, 'abs'));
    symlinkSync(join(outside, 'secret'), join(share, 'abs-file'));
    const abs = lookup(FUSE_ROOT_ID, 'abs');
    expect(errnoOf(call(abs, { op: 'lookup', name: 'secret' }))).toBe(Errno.ENOTDIR);
    expect(errnoOf(call(abs, { op: 'create', flags: 0o301, mode: 0o100644, umask: 0, name: 'planted' }))).toBe(
      Errno.ENOTDIR,
    );
    expect(errnoOf(call(abs, { op: 'opendir', flags: 0 }))).toBe(Errno.ENOTDIR);
    const absFile = lookup(FUSE_ROOT_ID, 'abs-file');
    expect(errnoOf(call(absFile, { op: 'open', flags: 0 }))).toBe(Errno.ELOOP);
    expect(errnoOf(call(absFile, { op: 'open', flags: 2 }))).toBe(Errno.ELOOP);
    const target = call(absFile, { op: 'readlink' });
    expect(target.kind === 'data' && new TextDecoder().decode(target.data)).toBe(join(outside, 'secret'));
    expect(
      errnoOf(
        call(absFile, {
          op: 'setattr',
          valid: 8,
          fh: 0n,
          size: 0n,
          atime: 0n,
          atimensec: 0,
          mtime: 0n,
          mtimensec: 0,
          mode: 0,
          uid: 0,
          gid: 0,
        }),
      ),
    ).toBe(Errno.EINVAL);
    expect(
      errnoOf(
        call(absFile, {
          op: 'setattr',
          valid: 1,
          fh: 0n,
          size: 0n,
          atime: 0n,
          atimensec: 0,
          mtime: 0n,
          mtimensec: 0,
          mode: 0o777,
          uid: 0,
          gid: 0,
        }),
      ),
    ).toBe(Errno.EOPNOTSUPP);
    expect(readdirNames(outside)).toEqual(['secret']);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('SECRET');
  });

  it('confines symlinks the guest creates, absolute or relative with ".."', () => {
    for (const [name, target] of [
      ['up', '../outside'],
      ['abs', outside],
      ['file', '../outside/secret'],
    ] as const) {
      const r = call(FUSE_ROOT_ID, { op: 'symlink', name, target });
      expect(r.kind).toBe('entry');
      if (r.kind !== 'entry') continue;
      expect(lstatSync(join(share, name)).isSymbolicLink()).toBe(true);
      expect(errnoOf(call(r.entry.nodeid, { op: 'lookup', name: 'secret' }))).toBe(Errno.ENOTDIR);
      expect(errnoOf(call(r.entry.nodeid, { op: 'open', flags: 2 }))).toBe(Errno.ELOOP);
      expect(errnoOf(call(r.entry.nodeid, { op: 'create', flags: 0o301, mode: 0o100644, umask: 0, name: 'x' }))).toBe(
        Errno.ENOTDIR,
      );
    }
    // Creating over a symlink does not write through it (O_NOFOLLOW | O_EXCL).
    expect(errnoOf(call(FUSE_ROOT_ID, { op: 'create', flags: 0o1, mode: 0o100644, umask: 0, name: 'file' }))).toBe(
      Errno.ELOOP,
    );
    expect(errnoOf(call(FUSE_ROOT_ID, { op: 'create', flags: 0o301, mode: 0o100644, umask: 0, name: 'file' }))).toBe(
      Errno.EEXIST,
    );
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('SECRET');
    expect(readdirNames(outside)).toEqual(['secret']);
  });

  it('makes hard links only of nodes inside the share; a link of a symlink is a symlink', () => {
    symlinkSync(join(outside, 'secret'), join(share, 'to-secret'));
    const sl = lookup(FUSE_ROOT_ID, 'to-secret');
    const r = call(FUSE_ROOT_ID, { op: 'link', oldnodeid: sl, newname: 'hard' });
    expect(r.kind).toBe('entry');
    expect(lstatSync(join(share, 'hard')).isSymbolicLink()).toBe(true);
    if (r.kind === 'entry') expect(errnoOf(call(r.entry.nodeid, { op: 'open', flags: 0 }))).toBe(Errno.ELOOP);
    // A node id the guest was never given names nothing, inside or out.
    for (const forged of [0n, 999n, (1n << 64n) - 1n]) {
      expect(errnoOf(call(FUSE_ROOT_ID, { op: 'link', oldnodeid: forged, newname: 'h' }))).toBe(Errno.EBADF);
      expect(errnoOf(call(forged, { op: 'lookup', name: 'secret' }))).toBe(Errno.EBADF);
      expect(errnoOf(call(FUSE_ROOT_ID, { op: 'rename', newdir: forged, oldname: 'hello.txt', newname: 'x' }))).toBe(
        Errno.EBADF,
      );
    }
    expect(errnoOf(call(FUSE_ROOT_ID, { op: 'link', oldnodeid: lookup(FUSE_ROOT_ID, 'sub'), newname: 'd' }))).toBe(
      Errno.EPERM,
    );
    expect(readdirNames(outside)).toEqual(['secret']);
  });

  it('keeps using the directory it looked up when the host swaps a symlink in for it', () => {
    const sub = lookup(FUSE_ROOT_ID, 'sub');
    writeFileSync(join(share, 'sub', 'inner'), 'inner');
    // Between the guest's lookup and its use, "sub" becomes a symlink to the outside.
    renameSync(join(share, 'sub'), join(share, 'sub-old'));
    symlinkSync(outside, join(share, 'sub'));
    expect(errnoOf(call(sub, { op: 'lookup', name: 'secret' }))).toBe(Errno.ENOENT);
    expect(readAll(lookup(sub, 'inner'))).toBe('inner');
    const c = call(sub, { op: 'create', flags: 0o301, mode: 0o100644, umask: 0, name: 'planted' });
    expect(c.kind).toBe('create');
    expect(existsSync(join(share, 'sub-old', 'planted'))).toBe(true);
    expect(readdirNames(outside)).toEqual(['secret']);
    // A fresh lookup sees the symlink, which leads nowhere.
    expect(errnoOf(call(lookup(FUSE_ROOT_ID, 'sub'), { op: 'lookup', name: 'secret' }))).toBe(Errno.ENOTDIR);
  });

  it('refuses a file swapped for a symlink under a name LINK and READLINK use', () => {
    const hello = lookup(FUSE_ROOT_ID, 'hello.txt');
    renameSync(join(share, 'hello.txt'), join(share, 'hello-old'));
    symlinkSync(join(outside, 'secret'), join(share, 'hello.txt'));
    expect(errnoOf(call(FUSE_ROOT_ID, { op: 'link', oldnodeid: hello, newname: 'copy' }))).toBe(Errno.ESTALE);
    expect(existsSync(join(share, 'copy'))).toBe(false);
    // The held node still reads the original file, never the secret.
    expect(readAll(hello)).toBe('hello');
  });
});

function readdirNames(dir: string): string[] {
  return readdirSync(dir).sort();
}

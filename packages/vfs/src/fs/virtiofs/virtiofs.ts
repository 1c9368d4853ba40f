// The `virtiofs` file system: the VFS's VnodeOps answered by FUSE requests over a FuseSession
// (the VirtioFsDriver, as Linux's fs/fuse does over virtio-fs; or a back-end on this thread). A vnode is a FUSE node id (also its st_ino here, so
// identity is the host's inode identity as the device dedupes it) holding lookup references
// the device counts; they are forgotten when the vnode is released.
//
// Caching (as Linux's fs/fuse honours the timeouts, virtiofsd's cache=auto giving 1 s): given a
// clock, a LOOKUP's name -> node binding is kept for its entry_valid and the attributes LOOKUP,
// GETATTR and SETATTR return for their attr_valid, so stat-heavy work does not go to the host
// each time. What this guest changes invalidates what it changed (write-through): a WRITE
// drops the file's attributes, create/unlink/rename/mkdir/rmdir/link/symlink update or drop the
// names and the directories' attributes, and an open drops the file's attributes (O_TRUNC
// re-reads them at once), so a guest never sees stale data after its own writes and sees
// another guest's closed file fresh once it opens it. Data is not cached, but read ahead: a
// read that continues the previous one on the file (or starts an open file at 0) is served from
// READs sent ahead of it, up to the max_readahead FUSE_INIT agreed (read-ahead.ts); a write,
// truncate, open or close of the file drops what was read ahead. Writes go behind (write-behind.ts,
// with writeBehindDepth): a write returns once its WRITEs are queued, and every other request
// waits for them first (call()), so nothing this guest does sees the host without its writes;
// a failed WRITE is reported at the file's next write, fsync or close. Negative lookups are not cached: a name another guest creates is found at once. What
// another guest changes shows in stat within the timeout: the rule is Linux's cache=auto.
// Without a clock nothing is cached.
//
// Open files hold FUSE file handles per access mode, opened on
// the first open and released on the last close. A directory is listed whole when a listing
// starts (cookie 2) and served from that snapshot, so cookies stay stable while entries are
// removed meanwhile (WASI fd_readdir). Leaves out: mmap/DAX, xattrs, locks, mknod of devices.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { O_ACCMODE, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../../open-flags.js';
import { VType, modeToVType, vtypeToModeBits } from '../../vtype.js';
import { Vnode } from '../../vnode.js';
import type { DirEntry, FileSystem, SetAttr, VnodeOps } from '../../file-system.js';
import type { Mount } from '../../mount.js';
import type { StatFs } from '../../stat.js';
import { FUSE_ROOT_ID, FuseSetattrValid } from '@osv-ts/drivers-virtio';
import type {
  FuseAttr,
  FuseEntry,
  FuseReplyBody,
  FuseRequestBody,
  FuseSession,
  FuseSetattr,
} from '@osv-ts/drivers-virtio';
import { ReadAheadStream } from './read-ahead.js';
import { WriteBehind, takeWriteError } from './write-behind.js';

interface Handle {
  readonly fh: bigint;
  opens: number;
}

interface FuseNode {
  readonly nodeid: bigint;
  /** Lookup references the device holds for us (FUSE nlookup). */
  nlookup: bigint;
  /** Directories: the parent directory, for "..". */
  parent: Vnode | undefined;
  /** Open handles by access mode (O_RDONLY, O_WRONLY, O_RDWR). */
  readonly handles: Map<number, Handle>;
  /** A handle CREATE returned, kept for the open that follows it. */
  created: bigint | undefined;
  /** Directories: the listing taken when the last readdir started. */
  listing: { name: string; ino: number; type: VType }[] | undefined;
  /** st_blocks * 512 from the last attributes. */
  allocated?: number;
  /** Monotonic ns until which the attributes are fresh (0: fetch on the next stat). */
  attrExpiresNs: number;
  /** Directories: names looked up, each until its entry_valid runs out. */
  entries: Map<string, { readonly vnode: Vnode; readonly expiresNs: number }> | undefined;
  /** Regular files: READs sent ahead of a sequential reader. */
  ahead: ReadAheadStream | undefined;
  /** Where the last read ended (a read starting here continues it); 0 after an open. */
  lastReadEnd: number;
  /** A thread is in the read-ahead stream (blocked on a reply): others read around it. */
  aheadBusy: boolean;
  /** What a write-behind WRITE of this file failed with, for its next write, fsync or close. */
  writeError: KernelError | undefined;
}

/** What the cache needs of a clock (the kernel's monotonic clock). */
export interface VirtioFsClock {
  monotonicNs(): number;
}

export interface VirtioFsMountOptions {
  readonly readOnly?: boolean;
  /** Honour entry_valid/attr_valid with this clock; without one nothing is cached. */
  readonly clock?: VirtioFsClock;
  /**
   * WRITEs a writer may have out without waiting for their replies (write-behind.ts; default 0:
   * each write waits). Errors then show at the file's next write, fsync or close.
   */
  readonly writeBehindDepth?: number;
}

const DT_TO_VTYPE: Record<number, VType> = {
  1: VType.VFIFO,
  2: VType.VCHR,
  4: VType.VDIR,
  6: VType.VBLK,
  8: VType.VREG,
  10: VType.VLNK,
  12: VType.VSOCK,
};

function node(v: Vnode): FuseNode {
  return v.data as FuseNode;
}

function asNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new KernelError(Errno.EOVERFLOW, what);
  return Number(v);
}

export class VirtioFs implements FileSystem, VnodeOps {
  readonly type = 'virtiofs';
  readonly blockSizeBytes: number;
  readonly readOnly: boolean;
  /** Requests the caches saved (for tests and the bench). */
  readonly counters = {
    entryHits: 0,
    attrHits: 0,
    aheadRequests: 0,
    aheadBytesUsed: 0,
    behindWrites: 0,
    behindErrors: 0,
  };
  private readonly behind: WriteBehind;
  private readonly clock: VirtioFsClock | undefined;
  /** READs a read-ahead stream keeps out (0: no read-ahead). */
  private readonly aheadDepth: number;
  private mountRef: Mount | undefined;

  constructor(
    private readonly driver: FuseSession,
    options: VirtioFsMountOptions | boolean = {},
  ) {
    const o = typeof options === 'boolean' ? { readOnly: options } : options;
    this.readOnly = o.readOnly ?? false;
    this.clock = o.clock;
    this.blockSizeBytes = driver.maxIoBytes;
    // One request stays free for everything else while WRITEs are out.
    this.behind = new WriteBehind(
      driver,
      Math.max(0, Math.min(o.writeBehindDepth ?? 0, driver.maxInFlight - 1)),
      this.counters,
    );
    // One request stays free for everything else (a stat, a write) while a stream is out.
    this.aheadDepth = Math.max(
      0,
      Math.min(Math.floor(driver.maxReadaheadBytes / driver.maxIoBytes), driver.maxInFlight - 1),
    );
  }

  /** The monotonic ns a timeout of `sec` s + `nsec` ns from now runs out (0: not cached). */
  private expiry(sec: bigint, nsec: number): number {
    if (!this.clock || (sec === 0n && nsec === 0)) return 0;
    return this.clock.monotonicNs() + Number(sec) * 1e9 + nsec;
  }

  private fresh(expiresNs: number): boolean {
    return expiresNs !== 0 && this.clock !== undefined && this.clock.monotonicNs() < expiresNs;
  }

  mount(mount: Mount): Vnode {
    if (this.mountRef) throw new KernelError(Errno.EBUSY, 'a virtiofs instance can be mounted once');
    this.mountRef = mount;
    const reply = this.expect(this.call(FUSE_ROOT_ID, { op: 'getattr', flags: 0, fh: 0n }), 'attr');
    const root = this.vnodeFor(FUSE_ROOT_ID, reply.attr, undefined, false);
    node(root).attrExpiresNs = this.expiry(reply.attrValid, reply.attrValidNsec);
    return root;
  }

  /** Power-off (Vfs.sync): the WRITEs still out reach the host before the device stops. */
  sync(): void {
    if (this.behind.outstanding > 0) this.behind.settle();
  }

  unmount(): void {
    for (const v of this.mountRef?.vnodes.values() ?? []) this.release(v);
  }

  statfs(): StatFs {
    const s = this.expect(this.call(FUSE_ROOT_ID, { op: 'statfs' }), 'statfs');
    return {
      type: this.type,
      blockSize: s.bsize,
      blocks: Number(s.blocks),
      blocksFree: Number(s.bfree),
      blocksAvailable: Number(s.bavail),
      files: Number(s.files),
      filesFree: Number(s.ffree),
      nameMax: s.namelen,
    };
  }

  // ---- vnodes --------------------------------------------------------------------------------

  private expect<K extends FuseReplyBody['kind']>(reply: FuseReplyBody, kind: K): Extract<FuseReplyBody, { kind: K }> {
    if (reply.kind !== kind) throw new KernelError(Errno.EIO, `virtiofs: ${kind} reply expected, got ${reply.kind}`);
    return reply as Extract<FuseReplyBody, { kind: K }>;
  }

  /**
   * Every request but a write-behind WRITE goes out through here: the WRITEs out are answered
   * first, so the device has done all this guest wrote before it reads, stats or changes names.
   */
  private call(nodeid: bigint, body: FuseRequestBody): FuseReplyBody {
    if (this.behind.outstanding > 0) this.behind.settle();
    return this.driver.call(nodeid, body);
  }

  /** The vnode of an entry the device just returned (one more lookup reference on it). */
  private entryVnode(entry: FuseEntry, parent: Vnode, name: string): Vnode {
    const v = this.vnodeFor(entry.nodeid, entry.attr, parent, true);
    node(v).attrExpiresNs = this.expiry(entry.attrValid, entry.attrValidNsec);
    const expiresNs = this.expiry(entry.entryValid, entry.entryValidNsec);
    const dir = node(parent);
    if (expiresNs === 0) dir.entries?.delete(name);
    else (dir.entries ??= new Map()).set(name, { vnode: v, expiresNs });
    return v;
  }

  /** Drops the cached binding of `name` in `dir`. */
  private dropEntry(dir: Vnode, name: string): void {
    node(dir).entries?.delete(name);
  }

  private vnodeFor(nodeid: bigint, attr: FuseAttr, parent: Vnode | undefined, counted: boolean): Vnode {
    const m = this.mountRef!;
    const type = modeToVType(attr.mode);
    let v = m.vnodes.peek(asNumber(nodeid, 'node id'));
    if (v !== undefined && v.type !== type) {
      // The node id came back for another kind of object: the old vnode is stale.
      m.vnodes.forget(v);
      v = undefined;
    }
    v ??= m.vnodes.get(asNumber(nodeid, 'node id'), () => {
      const data: FuseNode = {
        nodeid,
        nlookup: 0n,
        parent,
        handles: new Map(),
        created: undefined,
        listing: undefined,
        attrExpiresNs: 0,
        entries: undefined,
        ahead: undefined,
        lastReadEnd: -1,
        aheadBusy: false,
        writeError: undefined,
      };
      return new Vnode(m, asNumber(nodeid, 'node id'), type, this, data, attr.mode & 0o7777);
    });
    if (counted) node(v).nlookup++;
    if (parent !== undefined && type === VType.VDIR) node(v).parent = parent;
    applyAttr(v, attr);
    return v;
  }

  private release(v: Vnode): void {
    const n = node(v);
    this.dropAhead(v);
    for (const [acc, h] of n.handles) {
      this.releaseHandle(v, h.fh, acc);
    }
    n.handles.clear();
    if (n.nlookup > 0n && n.nodeid !== FUSE_ROOT_ID) this.driver.forget(n.nodeid, n.nlookup);
    n.nlookup = 0n;
  }

  private releaseHandle(v: Vnode, fh: bigint, acc: number): void {
    try {
      this.call(node(v).nodeid, { op: v.type === VType.VDIR ? 'releasedir' : 'release', fh, flags: acc });
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
    }
  }

  // ---- VnodeOps --------------------------------------------------------------------------------

  lookup(dir: Vnode, name: string): Vnode | undefined {
    const cached = node(dir).entries?.get(name);
    if (cached !== undefined) {
      // Still the vnode the mount knows by that node id (not released since).
      if (this.fresh(cached.expiresNs) && this.mountRef?.vnodes.peek(cached.vnode.ino) === cached.vnode) {
        this.counters.entryHits++;
        return cached.vnode;
      }
      this.dropEntry(dir, name);
    }
    try {
      const r = this.expect(this.call(node(dir).nodeid, { op: 'lookup', name }), 'entry');
      return this.entryVnode(r.entry, dir, name);
    } catch (e) {
      if (e instanceof KernelError && e.errno === Errno.ENOENT) return undefined;
      throw e;
    }
  }

  parent(dir: Vnode): Vnode {
    return node(dir).parent ?? dir;
  }

  readdir(dir: Vnode, cookie: number): DirEntry | null {
    const n = node(dir);
    if (cookie <= 2 || n.listing === undefined) n.listing = this.list(dir);
    const at = Math.max(0, cookie - 2);
    const e = n.listing[at];
    return e === undefined ? null : { name: e.name, ino: e.ino, type: e.type, next: at + 3 };
  }

  isEmpty(dir: Vnode): boolean {
    return this.list(dir).length === 0;
  }

  /** The whole listing of `dir` (OPENDIR, READDIR until empty, RELEASEDIR), without "." and "..". */
  private list(dir: Vnode): { name: string; ino: number; type: VType }[] {
    const nodeid = node(dir).nodeid;
    const open = this.expect(this.call(nodeid, { op: 'opendir', flags: O_RDONLY }), 'open');
    const out: { name: string; ino: number; type: VType }[] = [];
    try {
      let offset = 0n;
      for (;;) {
        const r = this.expect(
          this.call(nodeid, { op: 'readdir', fh: open.fh, offset, size: this.driver.maxIoBytes }),
          'dirents',
        );
        if (r.entries.length === 0) break;
        for (const d of r.entries) {
          if (d.name !== '.' && d.name !== '..')
            out.push({ name: d.name, ino: Number(d.ino & 0x1fffffffffffffn), type: DT_TO_VTYPE[d.type] ?? VType.VNON });
          offset = d.off;
        }
      }
    } finally {
      this.call(nodeid, { op: 'releasedir', fh: open.fh, flags: 0 });
    }
    return out;
  }

  create(dir: Vnode, name: string, perm: number): Vnode {
    const r = this.expect(
      this.call(node(dir).nodeid, {
        op: 'create',
        flags: O_RDWR | 0o300,
        mode: 0o100000 | perm,
        umask: 0,
        name,
      }),
      'create',
    );
    const v = this.entryVnode(r.entry, dir, name);
    // Kept for the open that follows (open(O_CREAT, 0444) still writes, as on Linux).
    const n = node(v);
    if (n.created !== undefined) this.releaseHandle(v, n.created, O_RDWR);
    n.created = r.fh;
    this.touch(dir);
    return v;
  }

  mkdir(dir: Vnode, name: string, perm: number): Vnode {
    const r = this.expect(this.call(node(dir).nodeid, { op: 'mkdir', mode: perm, umask: 0, name }), 'entry');
    this.touch(dir);
    return this.entryVnode(r.entry, dir, name);
  }

  symlink(dir: Vnode, name: string, target: string): Vnode {
    const r = this.expect(this.call(node(dir).nodeid, { op: 'symlink', name, target }), 'entry');
    this.touch(dir);
    return this.entryVnode(r.entry, dir, name);
  }

  link(dir: Vnode, name: string, target: Vnode): void {
    const r = this.expect(
      this.call(node(dir).nodeid, { op: 'link', oldnodeid: node(target).nodeid, newname: name }),
      'entry',
    );
    this.entryVnode(r.entry, dir, name);
    node(target).attrExpiresNs = 0; // nlink and ctime changed
    this.touch(dir);
  }

  remove(dir: Vnode, name: string, vnode: Vnode): void {
    this.call(node(dir).nodeid, { op: 'unlink', name });
    this.dropEntry(dir, name);
    this.touch(dir);
    this.refresh(vnode);
  }

  rmdir(dir: Vnode, name: string, vnode: Vnode): void {
    this.call(node(dir).nodeid, { op: 'rmdir', name });
    this.dropEntry(dir, name);
    this.touch(dir);
    vnode.nlink = 0;
  }

  rename(srcDir: Vnode, srcName: string, vnode: Vnode, dstDir: Vnode, dstName: string, replaced?: Vnode): void {
    this.call(node(srcDir).nodeid, {
      op: 'rename',
      newdir: node(dstDir).nodeid,
      oldname: srcName,
      newname: dstName,
    });
    if (vnode.type === VType.VDIR) node(vnode).parent = dstDir;
    this.dropEntry(srcDir, srcName);
    this.dropEntry(dstDir, dstName);
    node(vnode).attrExpiresNs = 0; // ctime changed
    this.touch(srcDir);
    if (dstDir !== srcDir) this.touch(dstDir);
    if (replaced) this.refresh(replaced);
  }

  readlink(vnode: Vnode): string {
    const r = this.expect(this.call(node(vnode).nodeid, { op: 'readlink' }), 'data');
    return new TextDecoder().decode(r.data);
  }

  open(vnode: Vnode, flags: number): void {
    if (vnode.type !== VType.VREG) return;
    const acc = flags & O_ACCMODE;
    const n = node(vnode);
    // Close-to-open: what another guest wrote and closed shows in the next stat; O_TRUNC reads
    // the size now (the VFS truncates only a file it sees as non-empty).
    n.attrExpiresNs = 0;
    this.dropAhead(vnode);
    n.lastReadEnd = 0;
    if (flags & O_TRUNC) this.refresh(vnode);
    const h = n.handles.get(acc);
    if (h) {
      h.opens++;
      return;
    }
    let fh: bigint;
    if (n.created !== undefined && acc !== O_RDONLY) {
      fh = n.created;
      n.created = undefined;
      n.handles.set(O_RDWR, { fh, opens: 0 });
      if (acc !== O_RDWR) n.handles.set(acc, n.handles.get(O_RDWR)!);
      n.handles.get(acc)!.opens++;
      return;
    }
    // O_TRUNC is done by the VFS through truncate (SETATTR); the handle is opened without it.
    fh = this.expect(this.call(n.nodeid, { op: 'open', flags: acc }), 'open').fh;
    n.handles.set(acc, { fh, opens: 1 });
  }

  close(vnode: Vnode, flags: number): void {
    if (vnode.type !== VType.VREG) return;
    const acc = flags & O_ACCMODE;
    const n = node(vnode);
    const h = n.handles.get(acc);
    if (!h || --h.opens > 0) return;
    if (n.ahead?.fh === h.fh) this.dropAhead(vnode);
    n.handles.delete(acc);
    for (const other of n.handles.values()) if (other === h) return; // shared with O_RDWR
    this.releaseHandle(vnode, h.fh, acc);
    if (n.created !== undefined) {
      this.releaseHandle(vnode, n.created, O_RDWR);
      n.created = undefined;
    }
    // A close reports what the file's write-behind WRITEs failed with (as close(2) may report
    // EIO); releaseHandle settled them.
    takeWriteError(n);
  }

  private handleFor(vnode: Vnode, write: boolean): bigint {
    const n = node(vnode);
    const h = n.handles.get(O_RDWR) ?? n.handles.get(write ? O_WRONLY : O_RDONLY);
    if (h) return h.fh;
    if (n.created !== undefined) return n.created;
    throw new KernelError(Errno.EBADF, `virtiofs: no ${write ? 'writable' : 'readable'} handle`);
  }

  read(vnode: Vnode, offsetBytes: number, into: Uint8Array): number {
    const fh = this.handleFor(vnode, false);
    // A read-ahead stream sends its READs itself: the WRITEs out go first.
    if (this.behind.outstanding > 0) this.behind.settle();
    const n = node(vnode);
    if (this.aheadDepth === 0 || n.aheadBusy) return this.readDirect(vnode, fh, offsetBytes, into);
    n.aheadBusy = true;
    try {
      return this.readAhead(vnode, fh, offsetBytes, into);
    } finally {
      n.aheadBusy = false;
      // Invalidated meanwhile (a write, truncate, open or close from another thread).
      if (n.ahead?.stale) this.dropAhead(vnode);
    }
  }

  /** A read through the file's read-ahead stream, started when the read continues the last. */
  private readAhead(vnode: Vnode, fh: bigint, offsetBytes: number, into: Uint8Array): number {
    const n = node(vnode);
    let s = n.ahead;
    if (s !== undefined && (s.fh !== fh || s.position !== offsetBytes || s.exhausted)) {
      s.drop();
      n.ahead = s = undefined;
    }
    if (s === undefined && offsetBytes === n.lastReadEnd) {
      s = n.ahead = new ReadAheadStream(
        this.driver,
        n.nodeid,
        fh,
        offsetBytes,
        this.driver.maxIoBytes,
        this.aheadDepth,
        this.counters,
      );
    }
    let done = 0;
    if (s !== undefined) {
      // Ahead to the size the guest knows, and at least over this read.
      const limit = Math.max(vnode.size, offsetBytes + into.length);
      s.fill(limit);
      done = s.consume(offsetBytes, into, limit);
      if (s.exhausted) {
        s.drop();
        n.ahead = undefined;
        // A short chunk is the end of the file; after a failed one the caller asks itself.
        if (s.ended) {
          n.lastReadEnd = offsetBytes + done;
          return done;
        }
      }
    }
    if (done < into.length) done += this.readDirect(vnode, fh, offsetBytes + done, into.subarray(done));
    n.lastReadEnd = offsetBytes + done;
    return done;
  }

  private readDirect(vnode: Vnode, fh: bigint, offsetBytes: number, into: Uint8Array): number {
    let done = 0;
    while (done < into.length) {
      const want = Math.min(into.length - done, this.driver.maxIoBytes);
      const r = this.expect(
        this.call(node(vnode).nodeid, { op: 'read', fh, offset: BigInt(offsetBytes + done), size: want }),
        'data',
      );
      if (r.data.length > want) throw new KernelError(Errno.EIO, 'virtiofs: READ returned more than asked for');
      into.set(r.data, done);
      done += r.data.length;
      if (r.data.length < want) break;
    }
    return done;
  }

  /**
   * Ends the file's read-ahead stream, if it has one. A reader blocked in it drops it itself when
   * it wakes (its request slots must not go to others while it may still read them).
   */
  private dropAhead(vnode: Vnode): void {
    const n = node(vnode);
    if (n.aheadBusy) {
      n.ahead?.invalidate();
      return;
    }
    n.ahead?.drop();
    n.ahead = undefined;
  }

  write(vnode: Vnode, offsetBytes: number, data: Uint8Array): number {
    const fh = this.handleFor(vnode, true);
    const n = node(vnode);
    takeWriteError(n);
    // What was read ahead is stale, and its request slots are better spent on the WRITEs.
    this.dropAhead(vnode);
    let done = 0;
    while (done < data.length) {
      const chunk = data.subarray(done, done + this.driver.maxIoBytes);
      if (this.behind.send(n.nodeid, fh, offsetBytes + done, chunk, n)) {
        done += chunk.length;
        continue;
      }
      const r = this.expect(
        this.call(n.nodeid, { op: 'write', fh, offset: BigInt(offsetBytes + done), data: chunk }),
        'write',
      );
      if (r.size > chunk.length) throw new KernelError(Errno.EIO, 'virtiofs: WRITE wrote more than given');
      done += r.size;
      if (r.size < chunk.length) break;
    }
    if (offsetBytes + done > vnode.size) vnode.size = offsetBytes + done;
    n.attrExpiresNs = 0; // mtime, and blocks, changed on the host
    return done;
  }

  truncate(vnode: Vnode, sizeBytes: number): void {
    this.setattrRaw(vnode, { valid: FuseSetattrValid.SIZE, size: BigInt(sizeBytes) });
  }

  setattr(vnode: Vnode, attr: SetAttr): void {
    let valid = 0;
    const a: Partial<{ -readonly [K in keyof FuseSetattr]: FuseSetattr[K] }> = {};
    if (attr.perm !== undefined) {
      valid |= FuseSetattrValid.MODE;
      a.mode = vtypeToModeBits(vnode.type) | (attr.perm & 0o7777);
    }
    if (attr.uid !== undefined) {
      valid |= FuseSetattrValid.UID;
      a.uid = attr.uid;
    }
    if (attr.gid !== undefined) {
      valid |= FuseSetattrValid.GID;
      a.gid = attr.gid;
    }
    if (attr.atimeNs !== undefined) {
      valid |= FuseSetattrValid.ATIME;
      a.atime = attr.atimeNs / 1_000_000_000n;
      a.atimensec = Number(attr.atimeNs % 1_000_000_000n);
    }
    if (attr.mtimeNs !== undefined) {
      valid |= FuseSetattrValid.MTIME;
      a.mtime = attr.mtimeNs / 1_000_000_000n;
      a.mtimensec = Number(attr.mtimeNs % 1_000_000_000n);
    }
    this.setattrRaw(vnode, { ...a, valid });
  }

  private setattrRaw(vnode: Vnode, a: Partial<FuseSetattr> & { valid: number }): void {
    if (a.valid & FuseSetattrValid.SIZE) this.dropAhead(vnode);
    const r = this.expect(
      this.call(node(vnode).nodeid, {
        op: 'setattr',
        valid: a.valid,
        fh: 0n,
        size: a.size ?? 0n,
        atime: a.atime ?? 0n,
        atimensec: a.atimensec ?? 0,
        mtime: a.mtime ?? 0n,
        mtimensec: a.mtimensec ?? 0,
        mode: a.mode ?? 0,
        uid: a.uid ?? 0,
        gid: a.gid ?? 0,
      }),
      'attr',
    );
    applyAttr(vnode, r.attr);
    node(vnode).attrExpiresNs = this.expiry(r.attrValid, r.attrValidNsec);
  }

  fsync(vnode: Vnode): void {
    if (vnode.type !== VType.VREG) return;
    const n = node(vnode);
    const h = n.handles.get(O_RDWR) ?? n.handles.get(O_WRONLY) ?? n.handles.get(O_RDONLY);
    // call() settles the WRITEs out first; one that failed fails the fsync (after it).
    if (h) this.call(n.nodeid, { op: 'fsync', fh: h.fh, fsyncFlags: 0 });
    else if (this.behind.outstanding > 0) this.behind.settle();
    takeWriteError(n);
  }

  getattr(vnode: Vnode): void {
    if (this.fresh(node(vnode).attrExpiresNs)) {
      this.counters.attrHits++;
      return;
    }
    this.refresh(vnode);
  }

  allocatedBytes(vnode: Vnode): number {
    return node(vnode).allocated ?? vnode.size;
  }

  inactive(vnode: Vnode): void {
    this.release(vnode);
  }

  /** Re-reads the attributes (an unlinked file's nlink drops; ESTALE/ENOENT: it is gone). */
  private refresh(v: Vnode): void {
    try {
      const r = this.expect(this.call(node(v).nodeid, { op: 'getattr', flags: 0, fh: 0n }), 'attr');
      applyAttr(v, r.attr);
      node(v).attrExpiresNs = this.expiry(r.attrValid, r.attrValidNsec);
    } catch (e) {
      if (!(e instanceof KernelError) || (e.errno !== Errno.ENOENT && e.errno !== Errno.ESTALE)) throw e;
      v.nlink = 0;
      node(v).attrExpiresNs = 0;
    }
  }

  /** A directory this guest changed: its listing and attributes (mtime, nlink) are stale. */
  private touch(dir: Vnode): void {
    node(dir).listing = undefined;
    node(dir).attrExpiresNs = 0;
  }
}

function applyAttr(v: Vnode, a: FuseAttr): void {
  v.perm = a.mode & 0o7777;
  v.nlink = a.nlink;
  v.size = Number(a.size);
  v.uid = a.uid;
  v.gid = a.gid;
  v.rdev = a.rdev;
  v.atimeNs = a.atime * 1_000_000_000n + BigInt(a.atimensec);
  v.mtimeNs = a.mtime * 1_000_000_000n + BigInt(a.mtimensec);
  v.ctimeNs = a.ctime * 1_000_000_000n + BigInt(a.ctimensec);
  (v.data as FuseNode).allocated = Number(a.blocks) * 512;
}

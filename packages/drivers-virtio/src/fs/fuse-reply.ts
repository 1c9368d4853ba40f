// FUSE replies (device → guest): a fuse_out_header, then either nothing (an error, or an op
// with no result) or the op's result structures. The decoder is the driver's side and trusts
// nothing the device wrote: the header's len must match the bytes the device said it wrote,
// the unique must be the request's, an error must be a negative errno with no body, and each
// result must be exactly the size its op implies (directory listings: whole records, names
// inside them). FORGET and BATCH_FORGET have no reply at all.
import { FUSE_NAME_MAX, FuseSize, direntAlign } from './fuse-abi.js';
import { FuseReader, FuseWriter, utf8Bytes } from './fuse-cursor.js';
import { FuseFormatError } from './fuse-format-error.js';
import type { FuseOp } from './fuse-request.js';

/** struct fuse_attr. Times are seconds since the epoch plus nanoseconds. */
export interface FuseAttr {
  readonly ino: bigint;
  readonly size: bigint;
  readonly blocks: bigint;
  readonly atime: bigint;
  readonly mtime: bigint;
  readonly ctime: bigint;
  readonly atimensec: number;
  readonly mtimensec: number;
  readonly ctimensec: number;
  /** st_mode: S_IFMT type bits and permission bits. */
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly blksize: number;
  readonly flags: number;
}

/** struct fuse_entry_out: a node id the guest now holds one lookup reference on. */
export interface FuseEntry {
  readonly nodeid: bigint;
  readonly generation: bigint;
  readonly entryValid: bigint;
  readonly attrValid: bigint;
  readonly entryValidNsec: number;
  readonly attrValidNsec: number;
  readonly attr: FuseAttr;
}

/** struct fuse_dirent: `off` is the cookie that continues the listing after this entry. */
export interface FuseDirent {
  readonly ino: bigint;
  readonly off: bigint;
  /** DT_* type (the S_IFMT bits >> 12). */
  readonly type: number;
  readonly name: string;
}

export interface FuseStatfs {
  readonly blocks: bigint;
  readonly bfree: bigint;
  readonly bavail: bigint;
  readonly files: bigint;
  readonly ffree: bigint;
  readonly bsize: number;
  readonly namelen: number;
  readonly frsize: number;
}

export interface FuseInitReply {
  readonly major: number;
  readonly minor: number;
  readonly maxReadahead: number;
  readonly flags: number;
  readonly maxBackground: number;
  readonly congestionThreshold: number;
  readonly maxWrite: number;
  readonly timeGran: number;
  readonly maxPages: number;
}

export type FuseReplyBody =
  | ({ readonly kind: 'init' } & FuseInitReply)
  | { readonly kind: 'entry'; readonly entry: FuseEntry }
  | { readonly kind: 'attr'; readonly attrValid: bigint; readonly attrValidNsec: number; readonly attr: FuseAttr }
  | { readonly kind: 'open'; readonly fh: bigint; readonly openFlags: number }
  | { readonly kind: 'create'; readonly entry: FuseEntry; readonly fh: bigint; readonly openFlags: number }
  | { readonly kind: 'data'; readonly data: Uint8Array }
  | { readonly kind: 'write'; readonly size: number }
  | ({ readonly kind: 'statfs' } & FuseStatfs)
  | { readonly kind: 'dirents'; readonly entries: readonly FuseDirent[] }
  | {
      readonly kind: 'direntsplus';
      readonly entries: readonly { readonly entry: FuseEntry; readonly dirent: FuseDirent }[];
    }
  | { readonly kind: 'none' };

export type FuseReplyKind = FuseReplyBody['kind'];

/** A reply: the result, or a Linux errno (positive here; negated on the wire). */
export type FuseReply = FuseReplyBody | { readonly kind: 'error'; readonly errno: number };

/** What a successful reply to each op carries; undefined: the op has no reply. */
export const REPLY_KIND_OF: { readonly [K in FuseOp]: FuseReplyKind | undefined } = {
  init: 'init',
  destroy: 'none',
  lookup: 'entry',
  forget: undefined,
  'batch-forget': undefined,
  getattr: 'attr',
  setattr: 'attr',
  readlink: 'data',
  symlink: 'entry',
  mkdir: 'entry',
  unlink: 'none',
  rmdir: 'none',
  rename: 'none',
  link: 'entry',
  open: 'open',
  opendir: 'open',
  read: 'data',
  readdir: 'dirents',
  readdirplus: 'direntsplus',
  write: 'write',
  statfs: 'statfs',
  release: 'none',
  releasedir: 'none',
  flush: 'none',
  fsync: 'none',
  fsyncdir: 'none',
  access: 'none',
  create: 'create',
};

/** Largest errno a reply may carry (Linux's MAX_ERRNO). */
const MAX_ERRNO = 4095;

export function encodeFuseReply(unique: bigint, reply: FuseReply): Uint8Array {
  const w = new FuseWriter(reply.kind === 'data' ? FuseSize.outHeader + reply.data.length : 256);
  w.u32(0)
    .i32(reply.kind === 'error' ? -reply.errno : 0)
    .u64(unique);
  switch (reply.kind) {
    case 'error':
    case 'none':
      break;
    case 'init':
      w.u32(reply.major).u32(reply.minor).u32(reply.maxReadahead).u32(reply.flags);
      w.u16(reply.maxBackground).u16(reply.congestionThreshold).u32(reply.maxWrite).u32(reply.timeGran);
      w.u16(reply.maxPages).u16(0).u32(0).zeros(28);
      break;
    case 'entry':
      writeEntry(w, reply.entry);
      break;
    case 'attr':
      w.u64(reply.attrValid).u32(reply.attrValidNsec).u32(0);
      writeAttr(w, reply.attr);
      break;
    case 'open':
      w.u64(reply.fh).u32(reply.openFlags).u32(0);
      break;
    case 'create':
      writeEntry(w, reply.entry);
      w.u64(reply.fh).u32(reply.openFlags).u32(0);
      break;
    case 'data':
      w.raw(reply.data);
      break;
    case 'write':
      w.u32(reply.size).u32(0);
      break;
    case 'statfs':
      w.u64(reply.blocks).u64(reply.bfree).u64(reply.bavail).u64(reply.files).u64(reply.ffree);
      w.u32(reply.bsize).u32(reply.namelen).u32(reply.frsize).u32(0).zeros(24);
      break;
    case 'dirents':
      for (const d of reply.entries) writeDirent(w, d);
      break;
    case 'direntsplus':
      for (const e of reply.entries) {
        writeEntry(w, e.entry);
        writeDirent(w, e.dirent);
      }
      break;
  }
  w.patchU32(0, w.at);
  return w.finish();
}

/** Bytes a fuse_dirent record takes (for filling a READDIR reply up to its size). */
export function direntBytes(name: string, plus: boolean): number {
  return (plus ? FuseSize.entryOut : 0) + direntAlign(FuseSize.direntHeader + utf8Bytes(name));
}

function writeAttr(w: FuseWriter, a: FuseAttr): void {
  w.u64(a.ino).u64(a.size).u64(a.blocks).u64(a.atime).u64(a.mtime).u64(a.ctime);
  w.u32(a.atimensec).u32(a.mtimensec).u32(a.ctimensec).u32(a.mode).u32(a.nlink);
  w.u32(a.uid).u32(a.gid).u32(a.rdev).u32(a.blksize).u32(a.flags);
}

function writeEntry(w: FuseWriter, e: FuseEntry): void {
  w.u64(e.nodeid).u64(e.generation).u64(e.entryValid).u64(e.attrValid).u32(e.entryValidNsec).u32(e.attrValidNsec);
  writeAttr(w, e.attr);
}

function writeDirent(w: FuseWriter, d: FuseDirent): void {
  const start = w.at;
  w.u64(d.ino).u64(d.off).u32(utf8Bytes(d.name)).u32(d.type);
  w.raw(new TextEncoder().encode(d.name));
  w.zeros(direntAlign(w.at - start) - (w.at - start));
}

function readAttr(r: FuseReader): FuseAttr {
  return {
    ino: r.u64('fuse_attr.ino'),
    size: r.u64('fuse_attr.size'),
    blocks: r.u64('fuse_attr.blocks'),
    atime: r.u64('fuse_attr.atime'),
    mtime: r.u64('fuse_attr.mtime'),
    ctime: r.u64('fuse_attr.ctime'),
    atimensec: r.u32('fuse_attr.atimensec'),
    mtimensec: r.u32('fuse_attr.mtimensec'),
    ctimensec: r.u32('fuse_attr.ctimensec'),
    mode: r.u32('fuse_attr.mode'),
    nlink: r.u32('fuse_attr.nlink'),
    uid: r.u32('fuse_attr.uid'),
    gid: r.u32('fuse_attr.gid'),
    rdev: r.u32('fuse_attr.rdev'),
    blksize: r.u32('fuse_attr.blksize'),
    flags: r.u32('fuse_attr.flags'),
  };
}

function readEntry(r: FuseReader): FuseEntry {
  r.need(FuseSize.entryOut, 'fuse_entry_out');
  return {
    nodeid: r.u64('fuse_entry_out.nodeid'),
    generation: r.u64('fuse_entry_out.generation'),
    entryValid: r.u64('fuse_entry_out.entry_valid'),
    attrValid: r.u64('fuse_entry_out.attr_valid'),
    entryValidNsec: r.u32('fuse_entry_out.entry_valid_nsec'),
    attrValidNsec: r.u32('fuse_entry_out.attr_valid_nsec'),
    attr: readAttr(r),
  };
}

function readDirent(r: FuseReader): FuseDirent {
  const start = r.at;
  r.need(FuseSize.direntHeader, 'fuse_dirent');
  const ino = r.u64('fuse_dirent.ino');
  const off = r.u64('fuse_dirent.off');
  const namelen = r.u32('fuse_dirent.namelen');
  const type = r.u32('fuse_dirent.type');
  if (namelen === 0 || namelen > FUSE_NAME_MAX)
    throw new FuseFormatError('fuse_dirent.namelen', start + 16, `${namelen} outside 1..${FUSE_NAME_MAX}`);
  const raw = r.bytesView(namelen, 'fuse_dirent.name');
  if (raw.includes(0) || raw.includes(0x2f))
    throw new FuseFormatError('fuse_dirent.name', start + FuseSize.direntHeader, 'contains NUL or "/"');
  const pad = direntAlign(r.at - start) - (r.at - start);
  r.skip(pad, 'fuse_dirent padding');
  return { ino, off, type, name: new TextDecoder().decode(raw) };
}

export interface DecodedFuseReply {
  readonly unique: bigint;
  readonly reply: FuseReply;
}

/**
 * Decodes the reply to a request of `op` from the `bytes` the device wrote. `unique`, when
 * given, must match. Throws FuseFormatError for anything that is not exactly such a reply.
 */
export function decodeFuseReply(bytes: Uint8Array, op: FuseOp, unique?: bigint): DecodedFuseReply {
  const kind = REPLY_KIND_OF[op];
  if (kind === undefined) throw new FuseFormatError('opcode', 0, `${op} has no reply`);
  const r = new FuseReader(bytes);
  const len = r.u32('fuse_out_header.len');
  if (len !== bytes.length)
    throw new FuseFormatError('fuse_out_header.len', 0, `says ${len} bytes, the device wrote ${bytes.length}`);
  const error = r.i32('fuse_out_header.error');
  const got = r.u64('fuse_out_header.unique');
  if (unique !== undefined && got !== unique)
    throw new FuseFormatError('fuse_out_header.unique', 8, `${got} answers no request in flight (expected ${unique})`);
  if (error !== 0) {
    if (error > 0 || error < -MAX_ERRNO)
      throw new FuseFormatError('fuse_out_header.error', 4, `${error} is not a negative errno`);
    r.finish('error reply');
    return { unique: got, reply: { kind: 'error', errno: -error } };
  }
  const reply = decodeBody(kind, r);
  r.finish(`${op} reply`);
  return { unique: got, reply };
}

function decodeBody(kind: FuseReplyKind, r: FuseReader): FuseReplyBody {
  switch (kind) {
    case 'none':
      return { kind };
    case 'init': {
      const major = r.u32('fuse_init_out.major');
      const minor = r.u32('fuse_init_out.minor');
      const maxReadahead = r.u32('fuse_init_out.max_readahead');
      const flags = r.u32('fuse_init_out.flags');
      const maxBackground = r.u16('fuse_init_out.max_background');
      const congestionThreshold = r.u16('fuse_init_out.congestion_threshold');
      const maxWrite = r.u32('fuse_init_out.max_write');
      const timeGran = r.u32('fuse_init_out.time_gran');
      const maxPages = r.u16('fuse_init_out.max_pages');
      r.skip(FuseSize.initOut - 30, 'fuse_init_out.map_alignment+flags2+unused');
      return {
        kind,
        major,
        minor,
        maxReadahead,
        flags,
        maxBackground,
        congestionThreshold,
        maxWrite,
        timeGran,
        maxPages,
      };
    }
    case 'entry':
      return { kind, entry: readEntry(r) };
    case 'attr': {
      const attrValid = r.u64('fuse_attr_out.attr_valid');
      const attrValidNsec = r.u32('fuse_attr_out.attr_valid_nsec');
      r.u32('fuse_attr_out.dummy');
      return { kind, attrValid, attrValidNsec, attr: readAttr(r) };
    }
    case 'open': {
      const fh = r.u64('fuse_open_out.fh');
      const openFlags = r.u32('fuse_open_out.open_flags');
      r.u32('fuse_open_out.padding');
      return { kind, fh, openFlags };
    }
    case 'create': {
      const entry = readEntry(r);
      const fh = r.u64('fuse_open_out.fh');
      const openFlags = r.u32('fuse_open_out.open_flags');
      r.u32('fuse_open_out.padding');
      return { kind, entry, fh, openFlags };
    }
    case 'data':
      return { kind, data: r.bytesView(r.remaining, 'data') };
    case 'write': {
      const size = r.u32('fuse_write_out.size');
      r.u32('fuse_write_out.padding');
      return { kind, size };
    }
    case 'statfs': {
      const s = {
        blocks: r.u64('fuse_kstatfs.blocks'),
        bfree: r.u64('fuse_kstatfs.bfree'),
        bavail: r.u64('fuse_kstatfs.bavail'),
        files: r.u64('fuse_kstatfs.files'),
        ffree: r.u64('fuse_kstatfs.ffree'),
        bsize: r.u32('fuse_kstatfs.bsize'),
        namelen: r.u32('fuse_kstatfs.namelen'),
        frsize: r.u32('fuse_kstatfs.frsize'),
      };
      r.skip(28, 'fuse_kstatfs.spare');
      return { kind, ...s };
    }
    case 'dirents': {
      const entries: FuseDirent[] = [];
      while (r.remaining > 0) entries.push(readDirent(r));
      return { kind, entries };
    }
    case 'direntsplus': {
      const entries: { entry: FuseEntry; dirent: FuseDirent }[] = [];
      while (r.remaining > 0) {
        const entry = readEntry(r);
        entries.push({ entry, dirent: readDirent(r) });
      }
      return { kind, entries };
    }
  }
}

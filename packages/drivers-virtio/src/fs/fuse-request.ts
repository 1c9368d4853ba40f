// FUSE requests (guest → device): a fuse_in_header and the opcode's argument structures, as
// typed values, with a decoder that validates every length against the buffer and the
// header's own `len` (the device side: nothing from the guest is trusted) and an encoder (the
// driver side). decode(encode(r)) === r for every request this file can express.
import { FUSE_NAME_MAX, FUSE_PATH_MAX, FuseOpcode, FuseSize } from './fuse-abi.js';
import { FuseReader, FuseWriter } from './fuse-cursor.js';
import { FuseFormatError } from './fuse-format-error.js';

export interface FuseInHeader {
  readonly opcode: number;
  readonly unique: bigint;
  readonly nodeid: bigint;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

/** fuse_setattr_in, the fields this implementation acts on (`valid` says which are meant). */
export interface FuseSetattr {
  readonly valid: number;
  readonly fh: bigint;
  readonly size: bigint;
  readonly atime: bigint;
  readonly atimensec: number;
  readonly mtime: bigint;
  readonly mtimensec: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export type FuseRequestBody =
  | {
      readonly op: 'init';
      readonly major: number;
      readonly minor: number;
      readonly maxReadahead: number;
      readonly flags: number;
    }
  | { readonly op: 'destroy' }
  | { readonly op: 'lookup'; readonly name: string }
  | { readonly op: 'forget'; readonly nlookup: bigint }
  | { readonly op: 'batch-forget'; readonly forgets: readonly { readonly nodeid: bigint; readonly nlookup: bigint }[] }
  | { readonly op: 'getattr'; readonly flags: number; readonly fh: bigint }
  | ({ readonly op: 'setattr' } & FuseSetattr)
  | { readonly op: 'readlink' }
  | { readonly op: 'symlink'; readonly name: string; readonly target: string }
  | { readonly op: 'mkdir'; readonly mode: number; readonly umask: number; readonly name: string }
  | { readonly op: 'unlink'; readonly name: string }
  | { readonly op: 'rmdir'; readonly name: string }
  | { readonly op: 'rename'; readonly newdir: bigint; readonly oldname: string; readonly newname: string }
  | { readonly op: 'link'; readonly oldnodeid: bigint; readonly newname: string }
  | { readonly op: 'open' | 'opendir'; readonly flags: number }
  | {
      readonly op: 'read' | 'readdir' | 'readdirplus';
      readonly fh: bigint;
      readonly offset: bigint;
      readonly size: number;
    }
  | { readonly op: 'write'; readonly fh: bigint; readonly offset: bigint; readonly data: Uint8Array }
  | { readonly op: 'statfs' }
  | { readonly op: 'release' | 'releasedir'; readonly fh: bigint; readonly flags: number }
  | { readonly op: 'flush'; readonly fh: bigint }
  | { readonly op: 'fsync' | 'fsyncdir'; readonly fh: bigint; readonly fsyncFlags: number }
  | { readonly op: 'access'; readonly mask: number }
  | {
      readonly op: 'create';
      readonly flags: number;
      readonly mode: number;
      readonly umask: number;
      readonly name: string;
    };

export type FuseOp = FuseRequestBody['op'];

export interface FuseRequest {
  readonly header: FuseInHeader;
  readonly body: FuseRequestBody;
}

/** A well-formed header with an opcode this implementation does not know: answered ENOSYS. */
export interface FuseUnknownRequest {
  readonly header: FuseInHeader;
  readonly body: undefined;
}

export const OPCODE_OF: { readonly [K in FuseOp]: number } = {
  init: FuseOpcode.INIT,
  destroy: FuseOpcode.DESTROY,
  lookup: FuseOpcode.LOOKUP,
  forget: FuseOpcode.FORGET,
  'batch-forget': FuseOpcode.BATCH_FORGET,
  getattr: FuseOpcode.GETATTR,
  setattr: FuseOpcode.SETATTR,
  readlink: FuseOpcode.READLINK,
  symlink: FuseOpcode.SYMLINK,
  mkdir: FuseOpcode.MKDIR,
  unlink: FuseOpcode.UNLINK,
  rmdir: FuseOpcode.RMDIR,
  rename: FuseOpcode.RENAME,
  link: FuseOpcode.LINK,
  open: FuseOpcode.OPEN,
  opendir: FuseOpcode.OPENDIR,
  read: FuseOpcode.READ,
  readdir: FuseOpcode.READDIR,
  readdirplus: FuseOpcode.READDIRPLUS,
  write: FuseOpcode.WRITE,
  statfs: FuseOpcode.STATFS,
  release: FuseOpcode.RELEASE,
  releasedir: FuseOpcode.RELEASEDIR,
  flush: FuseOpcode.FLUSH,
  fsync: FuseOpcode.FSYNC,
  fsyncdir: FuseOpcode.FSYNCDIR,
  access: FuseOpcode.ACCESS,
  create: FuseOpcode.CREATE,
};

const OP_OF = new Map<number, FuseOp>(Object.entries(OPCODE_OF).map(([k, v]) => [v, k as FuseOp]));

/** The request's op name, or undefined for an opcode outside OPCODE_OF. */
export function opOfOpcode(opcode: number): FuseOp | undefined {
  return OP_OF.get(opcode);
}

/** Largest WRITE payload a request may carry (the device announces it as max_write). */
export const FUSE_MAX_WRITE_BYTES = 1 << 20;

/**
 * Decodes one request from the bytes the driver made device-readable. The header's `len` must
 * equal the bytes given (§5.11.6.1: a request is exactly its in-header's len).
 */
export function decodeFuseRequest(bytes: Uint8Array): FuseRequest | FuseUnknownRequest {
  const r = new FuseReader(bytes);
  const len = r.u32('fuse_in_header.len');
  if (len !== bytes.length)
    throw new FuseFormatError('fuse_in_header.len', 0, `says ${len} bytes, the request has ${bytes.length}`);
  if (len < FuseSize.inHeader) throw new FuseFormatError('fuse_in_header.len', 0, `${len} < ${FuseSize.inHeader}`);
  const opcode = r.u32('fuse_in_header.opcode');
  const unique = r.u64('fuse_in_header.unique');
  const nodeid = r.u64('fuse_in_header.nodeid');
  const uid = r.u32('fuse_in_header.uid');
  const gid = r.u32('fuse_in_header.gid');
  const pid = r.u32('fuse_in_header.pid');
  const totalExtlen = r.u16('fuse_in_header.total_extlen');
  r.u16('fuse_in_header.padding');
  if (totalExtlen !== 0)
    throw new FuseFormatError('fuse_in_header.total_extlen', 36, 'request extensions were not negotiated');
  const header: FuseInHeader = { opcode, unique, nodeid, uid, gid, pid };
  const op = OP_OF.get(opcode);
  if (op === undefined) return { header, body: undefined };
  const body = decodeBody(op, r);
  return { header, body };
}

function decodeBody(op: FuseOp, r: FuseReader): FuseRequestBody {
  const name = (field: string): string => r.cstring(field, FUSE_NAME_MAX);
  let body: FuseRequestBody;
  switch (op) {
    case 'init': {
      const major = r.u32('fuse_init_in.major');
      const minor = r.u32('fuse_init_in.minor');
      const maxReadahead = r.u32('fuse_init_in.max_readahead');
      const flags = r.u32('fuse_init_in.flags');
      // 7.36 grew the structure to 64 bytes (flags2 and reserved words): take either.
      if (r.remaining === FuseSize.initIn - FuseSize.initInCompat) r.skip(r.remaining, 'fuse_init_in.flags2');
      body = { op, major, minor, maxReadahead, flags };
      break;
    }
    case 'destroy':
    case 'readlink':
    case 'statfs':
      body = { op };
      break;
    case 'lookup':
    case 'unlink':
    case 'rmdir':
      body = { op, name: name('name') };
      break;
    case 'forget':
      body = { op, nlookup: r.u64('fuse_forget_in.nlookup') };
      break;
    case 'batch-forget': {
      const count = r.u32('fuse_batch_forget_in.count');
      r.u32('fuse_batch_forget_in.dummy');
      r.need(count * FuseSize.forgetOne, 'fuse_forget_one[]');
      const forgets = [];
      for (let i = 0; i < count; i++)
        forgets.push({ nodeid: r.u64('fuse_forget_one.nodeid'), nlookup: r.u64('fuse_forget_one.nlookup') });
      body = { op, forgets };
      break;
    }
    case 'getattr': {
      const flags = r.u32('fuse_getattr_in.getattr_flags');
      r.u32('fuse_getattr_in.dummy');
      body = { op, flags, fh: r.u64('fuse_getattr_in.fh') };
      break;
    }
    case 'setattr': {
      const valid = r.u32('fuse_setattr_in.valid');
      r.u32('fuse_setattr_in.padding');
      const fh = r.u64('fuse_setattr_in.fh');
      const size = r.u64('fuse_setattr_in.size');
      r.u64('fuse_setattr_in.lock_owner');
      const atime = r.u64('fuse_setattr_in.atime');
      const mtime = r.u64('fuse_setattr_in.mtime');
      r.u64('fuse_setattr_in.ctime');
      const atimensec = r.u32('fuse_setattr_in.atimensec');
      const mtimensec = r.u32('fuse_setattr_in.mtimensec');
      r.u32('fuse_setattr_in.ctimensec');
      const mode = r.u32('fuse_setattr_in.mode');
      r.u32('fuse_setattr_in.unused4');
      const uid = r.u32('fuse_setattr_in.uid');
      const gid = r.u32('fuse_setattr_in.gid');
      r.u32('fuse_setattr_in.unused5');
      body = { op, valid, fh, size, atime, atimensec, mtime, mtimensec, mode, uid, gid };
      break;
    }
    case 'symlink': {
      // FUSE_SYMLINK: the new entry's name, then the link's target.
      const entry = name('name');
      body = { op, name: entry, target: r.cstring('linkname', FUSE_PATH_MAX) };
      break;
    }
    case 'mkdir': {
      const mode = r.u32('fuse_mkdir_in.mode');
      const umask = r.u32('fuse_mkdir_in.umask');
      body = { op, mode, umask, name: name('name') };
      break;
    }
    case 'rename': {
      const newdir = r.u64('fuse_rename_in.newdir');
      const oldname = name('oldname');
      body = { op, newdir, oldname, newname: name('newname') };
      break;
    }
    case 'link': {
      const oldnodeid = r.u64('fuse_link_in.oldnodeid');
      body = { op, oldnodeid, newname: name('newname') };
      break;
    }
    case 'open':
    case 'opendir': {
      const flags = r.u32('fuse_open_in.flags');
      r.u32('fuse_open_in.open_flags');
      body = { op, flags };
      break;
    }
    case 'read':
    case 'readdir':
    case 'readdirplus': {
      const fh = r.u64('fuse_read_in.fh');
      const offset = r.u64('fuse_read_in.offset');
      const size = r.u32('fuse_read_in.size');
      r.u32('fuse_read_in.read_flags');
      r.u64('fuse_read_in.lock_owner');
      r.u32('fuse_read_in.flags');
      r.u32('fuse_read_in.padding');
      body = { op, fh, offset, size };
      break;
    }
    case 'write': {
      const fh = r.u64('fuse_write_in.fh');
      const offset = r.u64('fuse_write_in.offset');
      const size = r.u32('fuse_write_in.size');
      r.u32('fuse_write_in.write_flags');
      r.u64('fuse_write_in.lock_owner');
      r.u32('fuse_write_in.flags');
      r.u32('fuse_write_in.padding');
      if (size > FUSE_MAX_WRITE_BYTES)
        throw new FuseFormatError('fuse_write_in.size', r.at - 24, `${size} > max_write ${FUSE_MAX_WRITE_BYTES}`);
      body = { op, fh, offset, data: r.bytesView(size, 'write data') };
      break;
    }
    case 'release':
    case 'releasedir': {
      const fh = r.u64('fuse_release_in.fh');
      const flags = r.u32('fuse_release_in.flags');
      r.u32('fuse_release_in.release_flags');
      r.u64('fuse_release_in.lock_owner');
      body = { op, fh, flags };
      break;
    }
    case 'flush': {
      const fh = r.u64('fuse_flush_in.fh');
      r.u32('fuse_flush_in.unused');
      r.u32('fuse_flush_in.padding');
      r.u64('fuse_flush_in.lock_owner');
      body = { op, fh };
      break;
    }
    case 'fsync':
    case 'fsyncdir': {
      const fh = r.u64('fuse_fsync_in.fh');
      const fsyncFlags = r.u32('fuse_fsync_in.fsync_flags');
      r.u32('fuse_fsync_in.padding');
      body = { op, fh, fsyncFlags };
      break;
    }
    case 'access': {
      const mask = r.u32('fuse_access_in.mask');
      r.u32('fuse_access_in.padding');
      body = { op, mask };
      break;
    }
    case 'create': {
      const flags = r.u32('fuse_create_in.flags');
      const mode = r.u32('fuse_create_in.mode');
      const umask = r.u32('fuse_create_in.umask');
      r.u32('fuse_create_in.open_flags');
      body = { op, flags, mode, umask, name: name('name') };
      break;
    }
  }
  r.finish(op);
  return body;
}

/**
 * Encodes a request (the driver's side); `len` is filled in. With `into` (the driver's DMA
 * buffer) the message is written there when it fits, so a WRITE's data is copied once.
 */
export function encodeFuseRequest(
  header: Omit<FuseInHeader, 'opcode'>,
  body: FuseRequestBody,
  into?: Uint8Array,
): Uint8Array {
  const w = new FuseWriter(body.op === 'write' ? FuseSize.inHeader + FuseSize.writeIn + body.data.length : 256, into);
  w.u32(0).u32(OPCODE_OF[body.op]).u64(header.unique).u64(header.nodeid);
  w.u32(header.uid).u32(header.gid).u32(header.pid).u16(0).u16(0);
  switch (body.op) {
    case 'init':
      w.u32(body.major).u32(body.minor).u32(body.maxReadahead).u32(body.flags).zeros(48);
      break;
    case 'destroy':
    case 'readlink':
    case 'statfs':
      break;
    case 'lookup':
    case 'unlink':
    case 'rmdir':
      w.cstring(body.name);
      break;
    case 'forget':
      w.u64(body.nlookup);
      break;
    case 'batch-forget':
      w.u32(body.forgets.length).u32(0);
      for (const f of body.forgets) w.u64(f.nodeid).u64(f.nlookup);
      break;
    case 'getattr':
      w.u32(body.flags).u32(0).u64(body.fh);
      break;
    case 'setattr':
      w.u32(body.valid).u32(0).u64(body.fh).u64(body.size).u64(0n).u64(body.atime).u64(body.mtime).u64(0n);
      w.u32(body.atimensec).u32(body.mtimensec).u32(0).u32(body.mode).u32(0).u32(body.uid).u32(body.gid).u32(0);
      break;
    case 'symlink':
      w.cstring(body.name).cstring(body.target);
      break;
    case 'mkdir':
      w.u32(body.mode).u32(body.umask).cstring(body.name);
      break;
    case 'rename':
      w.u64(body.newdir).cstring(body.oldname).cstring(body.newname);
      break;
    case 'link':
      w.u64(body.oldnodeid).cstring(body.newname);
      break;
    case 'open':
    case 'opendir':
      w.u32(body.flags).u32(0);
      break;
    case 'read':
    case 'readdir':
    case 'readdirplus':
      w.u64(body.fh).u64(body.offset).u32(body.size).u32(0).u64(0n).u32(0).u32(0);
      break;
    case 'write':
      w.u64(body.fh).u64(body.offset).u32(body.data.length).u32(0).u64(0n).u32(0).u32(0).raw(body.data);
      break;
    case 'release':
    case 'releasedir':
      w.u64(body.fh).u32(body.flags).u32(0).u64(0n);
      break;
    case 'flush':
      w.u64(body.fh).u32(0).u32(0).u64(0n);
      break;
    case 'fsync':
    case 'fsyncdir':
      w.u64(body.fh).u32(body.fsyncFlags).u32(0);
      break;
    case 'access':
      w.u32(body.mask).u32(0);
      break;
    case 'create':
      w.u32(body.flags).u32(body.mode).u32(body.umask).u32(0).cstring(body.name);
      break;
  }
  w.patchU32(0, w.at);
  return w.finish();
}

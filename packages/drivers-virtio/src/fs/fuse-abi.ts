// The FUSE kernel ABI as virtio-fs carries it (virtio 1.2 §5.11.6; layouts from Linux's uapi
// <linux/fuse.h>, protocol 7.31, the version the Linux virtiofs driver and virtiofsd speak).
// Layout only: opcodes, flag bits and the byte sizes of the fixed structures; the codecs in
// fuse-request.ts and fuse-reply.ts read and write them. Everything is little-endian (§5.11.6:
// the FUSE structures on virtio-fs are in the guest's byte order, and virtio guests here are LE).

export const FUSE_KERNEL_VERSION = 7;
export const FUSE_KERNEL_MINOR_VERSION = 31;
/** The node id of the root directory of the export. */
export const FUSE_ROOT_ID = 1n;

/** `enum fuse_opcode`: the requests this implementation knows (others get ENOSYS). */
export const FuseOpcode = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  ACCESS: 34,
  CREATE: 35,
  DESTROY: 38,
  BATCH_FORGET: 42,
  READDIRPLUS: 44,
} as const;
export type FuseOpcodeValue = (typeof FuseOpcode)[keyof typeof FuseOpcode];

/** fuse_setattr_in.valid bits (FATTR_*). */
export const FuseSetattrValid = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  LOCKOWNER: 1 << 9,
  CTIME: 1 << 10,
} as const;

/** fuse_init_in/out.flags bits this implementation uses. */
export const FuseInitFlag = {
  ASYNC_READ: 1 << 0,
  ATOMIC_O_TRUNC: 1 << 3,
  BIG_WRITES: 1 << 5,
  DO_READDIRPLUS: 1 << 13,
  MAX_PAGES: 1 << 22,
} as const;

/** Byte sizes of the fixed structures. */
export const FuseSize = {
  inHeader: 40, // fuse_in_header
  outHeader: 16, // fuse_out_header
  attr: 88, // fuse_attr
  entryOut: 128, // fuse_entry_out: nodeid, generation, entry/attr valid (+nsec), fuse_attr
  attrOut: 104, // fuse_attr_out: attr_valid, attr_valid_nsec, dummy, fuse_attr
  initIn: 64, // fuse_init_in (7.36 layout; 16 bytes before 7.36, both accepted)
  initInCompat: 16,
  initOut: 64, // fuse_init_out
  forgetIn: 8, // fuse_forget_in
  forgetOne: 16, // fuse_forget_one
  batchForgetIn: 8, // fuse_batch_forget_in
  getattrIn: 16, // fuse_getattr_in
  setattrIn: 88, // fuse_setattr_in
  mkdirIn: 8, // fuse_mkdir_in
  mknodIn: 16, // fuse_mknod_in
  renameIn: 8, // fuse_rename_in
  linkIn: 8, // fuse_link_in
  openIn: 8, // fuse_open_in
  openOut: 16, // fuse_open_out
  createIn: 16, // fuse_create_in
  releaseIn: 24, // fuse_release_in
  flushIn: 24, // fuse_flush_in
  readIn: 40, // fuse_read_in
  writeIn: 40, // fuse_write_in
  writeOut: 8, // fuse_write_out
  statfsOut: 80, // fuse_kstatfs
  fsyncIn: 16, // fuse_fsync_in
  accessIn: 8, // fuse_access_in
  direntHeader: 24, // fuse_dirent up to name (FUSE_NAME_OFFSET)
} as const;

/** Longest name a request may carry (Linux's NAME_MAX), and longest symlink target (PATH_MAX). */
export const FUSE_NAME_MAX = 255;
export const FUSE_PATH_MAX = 4096;

/** fuse_dirent records are padded to 8 bytes (FUSE_DIRENT_ALIGN). */
export function direntAlign(n: number): number {
  return (n + 7) & ~7;
}

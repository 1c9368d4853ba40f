// @osv-ts/vfs: public contract. The VFS core (vnodes, mounts, lookup, open files, pipes) and the
// file systems behind its FileSystem/VnodeOps interface. Image writers and the manifest parser
// have their own entry points (@osv-ts/vfs/rofs-writer, /bootfs, /manifest) so host tools can
// use them without the VFS.
export { Vfs } from './vfs.js';
export type { VfsOptions } from './vfs.js';
export { Vnode } from './vnode.js';
export { VnodeLock } from './vnode-lock.js';
export { VnodeCache } from './vnode-cache.js';
export { Mount } from './mount.js';
export type { MountOptions } from './mount.js';
export { File } from './file.js';
export type { DirEntry, FileSystem, IoContext, SetAttr, VnodeOps } from './file-system.js';
export type { LookupOptions, Resolved } from './lookup.js';
export { SandboxEscapeError } from './sandbox-escape-error.js';
export type { Blocker } from './blocker.js';
export { noBlocker } from './blocker.js';
export type { Stat, StatFs } from './stat.js';
export * from './vtype.js';
export * from './open-flags.js';
export { PIPE_BUF } from './fs/pipefs/pipefs.js';
export { RamFs } from './fs/ramfs/ramfs.js';
export type { RamFsOptions } from './fs/ramfs/ramfs.js';
export { Rofs } from './fs/rofs/rofs.js';
export type { RofsOptions } from './fs/rofs/rofs.js';
export { MemoryBlockDevice } from './memory-block-device.js';
export { unpackBootfs, populateFromEntries, populateFromTree, mkdirp } from './fs/bootfs/bootfs.js';
export { parseBootfs, writeBootfs, bootfsImage } from './fs/bootfs/bootfs-format.js';
export type { BootfsEntry } from './fs/bootfs/bootfs-format.js';
export { bootfsEntriesFromTree } from './image/tree-entries.js';
export { imageDir, imageFile, imageSymlink } from './image/image-tree.js';
export type { ImageDir, ImageFile, ImageNode, ImageSymlink } from './image/image-tree.js';
export { DevFs, ConsoleDevice } from './fs/devfs/devfs.js';
export type { DevFsOptions } from './fs/devfs/devfs.js';
export { ProcFs } from './fs/procfs/procfs.js';
export type { ProcInfo, ProcMemory, ProcProcess } from './fs/procfs/procfs.js';
export { SyntheticFs, staticDir, textFile, link } from './fs/synthetic/synthetic-fs.js';
export type { SynthDevice, SynthDir, SynthFile, SynthLink, SynthNode } from './fs/synthetic/synthetic-fs.js';
export { VFS_CAPABILITY } from './vfs-service.js';
export type { VfsService, FileSystemFactory } from './vfs-service.js';
export { VirtioFs, type VirtioFsClock, type VirtioFsMountOptions } from './fs/virtiofs/virtiofs.js';

// @osv-ts/vfs/bootfs: OSv's bootfs.bin archive: parse, write, and convert from an image tree.
export { parseBootfs, writeBootfs, bootfsImage, BOOTFS_RECORD_SIZE } from './fs/bootfs/bootfs-format.js';
export type { BootfsEntry, BootfsImage } from './fs/bootfs/bootfs-format.js';
export { bootfsEntriesFromTree } from './image/tree-entries.js';

// @osv-ts/vfs/rofs-writer: OSv ROFS image writer and format constants, for host tools.
export { writeRofs, writeRofsImage } from './fs/rofs/rofs-writer.js';
export type { RofsWriteResult } from './fs/rofs/rofs-writer.js';
export {
  ROFS_BLOCK_SIZE,
  ROFS_MAGIC,
  ROFS_VERSION,
  parseStructureInfo,
  parseSuperblock,
} from './fs/rofs/rofs-format.js';
export type { RofsDirEntry, RofsInode, RofsMetadata, RofsSuperblock } from './fs/rofs/rofs-format.js';
export { imageDir, imageFile, imageSymlink } from './image/image-tree.js';
export type { ImageDir, ImageFile, ImageNode, ImageSymlink } from './image/image-tree.js';

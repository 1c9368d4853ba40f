// @osv-ts/vfs/manifest: OSv usr.manifest parsing and expansion, host access injected.
export { parseManifest, substituteDefines } from './manifest/manifest-parser.js';
export type { ManifestLine } from './manifest/manifest-parser.js';
export { expandManifest, resolveManifest, unsymlink } from './manifest/manifest-expand.js';
export type { ManifestEntry } from './manifest/manifest-expand.js';
export { toBootfsEntries, toRofsTree } from './manifest/manifest-tree.js';
export type { HostFileKind, HostFs } from './manifest/host-fs.js';
export { imageDir, imageFile, imageSymlink } from './image/image-tree.js';
export type { ImageDir, ImageFile, ImageNode, ImageSymlink } from './image/image-tree.js';

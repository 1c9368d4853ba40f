// @osv-ts/vfs/manifest: OSv usr.manifest parsing, expansion and checking, host access injected.
export { parseManifest, substituteDefines } from './manifest/manifest-parser.js';
export type { ManifestLine } from './manifest/manifest-parser.js';
export { expandManifest, unsymlink } from './manifest/manifest-expand.js';
export type { ExpandedEntry } from './manifest/manifest-expand.js';
export { planManifest } from './manifest/manifest-plan.js';
export type { ManifestPlan, PlannedEntry, PlannedNode } from './manifest/manifest-plan.js';
export { ManifestError, ManifestSourceError } from './manifest/manifest-error.js';
export type { ManifestWarning } from './manifest/manifest-error.js';
export { guestPathComponents } from './manifest/guest-path.js';
export { toBootfsEntries, toRofsTree } from './manifest/manifest-tree.js';
export type { HostFileKind, HostFs } from './manifest/host-fs.js';
export { imageDir, imageFile, imageSymlink } from './image/image-tree.js';
export type { ImageDir, ImageFile, ImageNode, ImageSymlink } from './image/image-tree.js';

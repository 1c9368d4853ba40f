// Drivers of real host tools for the packages' interop tests (test-only: depcheck keeps them
// out of non-test sources).
export { ZfsFuse, run } from './zfs-fuse.js';

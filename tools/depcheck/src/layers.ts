// The package ranks of docs/architecture.md §2: a package may depend only on packages of a lower
// rank, so packages of one rank (vfs and netstack) never depend on each other. The ranks group
// OSv's layers: interfaces, core, drivers/file systems/network, zfs (a VFS file system), loader,
// libc, kernel, host side, tools; drivers-virtio sits above core-sched because its drivers wait
// on core-sched's wait queues and allocate rings from its page allocator.
export const LAYER_RANK: Record<string, number> = {
  '@osv-ts/kernel-api': 0,
  '@osv-ts/core-sched': 1,
  '@osv-ts/drivers-virtio': 2,
  '@osv-ts/vfs': 3,
  '@osv-ts/netstack': 3,
  '@osv-ts/zfs': 4,
  '@osv-ts/elf-linker': 5,
  '@osv-ts/libc': 6,
  '@osv-ts/kernel': 7,
  '@osv-ts/vmm': 8,
  '@osv-ts/osv': 9,
  '@osv-ts/depcheck': 9,
  '@osv-ts/release-check': 9,
  // Host-side drivers of real tools (zfs-fuse, …) for interop tests: below everything so any
  // package's tests may use them; TEST_ONLY_PACKAGES keeps them out of non-test sources.
  '@osv-ts/test-support': -1,
};

/** Packages only test, benchmark and build files may import. */
export const TEST_ONLY_PACKAGES = new Set(['@osv-ts/test-support']);

/** Packages that run inside the guest and so must be isomorphic (docs/architecture.md §2). */
export const GUEST_PACKAGES = new Set([
  '@osv-ts/kernel-api',
  '@osv-ts/core-sched',
  '@osv-ts/drivers-virtio',
  '@osv-ts/vfs',
  '@osv-ts/netstack',
  '@osv-ts/zfs',
  '@osv-ts/elf-linker',
  '@osv-ts/libc',
  '@osv-ts/kernel',
]);

/** Node globals a guest package must not touch. */
export const NODE_GLOBALS = new Set([
  'process',
  'Buffer',
  'require',
  '__dirname',
  '__filename',
  'global',
  'setImmediate',
  'module',
  'exports',
]);

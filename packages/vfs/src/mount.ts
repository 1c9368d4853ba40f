// One entry of the mount table (OSv `struct mount`): a file system instance attached at a
// covered directory vnode of the parent mount (none for the root mount).
import type { FileSystem } from './file-system.js';
import type { Vfs } from './vfs.js';
import type { Vnode } from './vnode.js';
import { VnodeCache } from './vnode-cache.js';

export interface MountOptions {
  /** Mount read-only even if the file system could write (MNT_RDONLY). */
  readOnly?: boolean;
  /** Source shown in /proc/mounts (a device path or "none"). */
  source?: string;
  /** Mount options text shown in /proc/mounts. */
  options?: string;
}

export class Mount {
  readonly vnodes = new VnodeCache();
  /** Set by the VFS right after FileSystem.mount returns. */
  root!: Vnode;

  constructor(
    readonly vfs: Vfs,
    /** Unique, never reused mount id; also the st_dev of its files. */
    readonly id: number,
    readonly fs: FileSystem,
    /** Absolute path of the mount point as given at mount time. */
    readonly path: string,
    /** The directory this mount covers; undefined for the root mount. */
    readonly covered: Vnode | undefined,
    readonly readOnly: boolean,
    readonly source: string,
    readonly options: string,
  ) {}

  /** Current time for timestamps (CLOCK_REALTIME, ns). */
  nowNs(): bigint {
    return this.vfs.nowNs();
  }
}

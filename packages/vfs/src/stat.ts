// The attributes stat(2) reports for a vnode. Times are nanoseconds since the Unix epoch.
import type { VType } from './vtype.js';

export interface Stat {
  /** Device id: the mount's id (st_dev). */
  readonly dev: number;
  /** Inode number, unique within the mount (st_ino). */
  readonly ino: number;
  /** Vnode type (also encoded in `mode`). */
  readonly type: VType;
  /** S_IF* type bits | permission bits (st_mode). */
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  /** Device number of a character/block special file (st_rdev). */
  readonly rdev: number;
  readonly size: number;
  readonly blksize: number;
  /** 512-byte blocks allocated (st_blocks). */
  readonly blocks: number;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/** statfs(2) figures of one mount. */
export interface StatFs {
  readonly type: string;
  readonly blockSize: number;
  readonly blocks: number;
  readonly blocksFree: number;
  readonly blocksAvailable: number;
  readonly files: number;
  readonly filesFree: number;
  readonly nameMax: number;
}

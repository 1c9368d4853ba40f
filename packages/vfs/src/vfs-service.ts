// What the `vfs` kernel module gives the kernel: one Vfs plus the file system types the linked
// modules registered, so the kernel can mount the root and OSv's --mount-fs entries by name
// without importing any file system itself (an app without files gets no VFS in its kernel).
import type { BlockDevice, Capability, Clock, Console, Entropy } from '@osv-ts/kernel-api';
import type { FileSystem } from './file-system.js';
import type { ProcInfo } from './fs/procfs/procfs.js';
import type { Vfs } from './vfs.js';

/** Makes a file system from a mount source (`/dev/vblk0.1`, a pool/dataset name, `none`). */
export type FileSystemFactory = (source: string) => FileSystem;

export interface VfsService {
  readonly vfs: Vfs;
  /** Registered file system types: `ramfs`, `rofs`, `zfs`, … */
  readonly fsTypes: Map<string, FileSystemFactory>;
  /** Block devices by name (`vblk0`, `vblk0.1`), for factories that mount a device. */
  blockDevice(name: string): BlockDevice | undefined;
  devfs(options: { entropy: Entropy; console?: Console }): FileSystem;
  procfs(info: ProcInfo): FileSystem;
  /**
   * Unpacks an OSv bootfs.bin image into the tree (under `prefix`). The image is the kernel's
   * own (in guest RAM, never reused): ramfs files keep their content where it lies in it.
   */
  unpackBootfs(image: Uint8Array, prefix?: string): void;
}

export const VFS_CAPABILITY = 'vfs' satisfies Capability;

export interface VfsModuleDeps {
  readonly clock: Clock;
}

// A ZFS pool image from a file tree (OSv's zfs-builder / `zpool create` + copy): the bytes of one
// file vdev, which zfs-fuse imports with `zpool import -d DIR`, and which `osv build --fs zfs`
// puts in partition vblk0.1 (pool `osv`, files in dataset `osv/zfs`, OSv's layout).
import { constants as bufferConstants } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import { formatMemorySize } from '@osv-ts/vmm';
import { MemoryBlockDevice } from '@osv-ts/vfs';
import type { ImageDir, ImageNode } from '@osv-ts/vfs/manifest';
import { createPool, ZIO_COMPRESS } from '@osv-ts/zfs';
import { CliError, UsageError } from '../cli-error.js';

export interface ZfsImageOptions {
  pool: string;
  /** Child dataset that holds the files (`zfs` → `osv/zfs`); the root dataset when absent. */
  dataset?: string;
  /** Vdev size; 0 picks room for the files plus free space for the app (at least 64 MiB). */
  sizeBytes: number;
  ashift: 9 | 12;
  compression: number;
  /** Path the label records for the vdev. */
  path: string;
  /** What set sizeBytes, for errors (`mkfs: --size 100T`, `--fs-size 64M`). */
  sizeOption: string;
}

const MIB = 1024 * 1024;
/** SPA_MINDEVSIZE: zpool refuses smaller vdevs. */
const MIN_VDEV_BYTES = 64 * MIB;
/** The pool is built in memory, in one typed array: the largest Node allocates. */
export const MAX_POOL_BYTES = bufferConstants.MAX_LENGTH;

function treeBytes(node: ImageNode): number {
  if (node.kind === 'dir') {
    let sum = 512;
    for (const child of node.children.values()) sum += treeBytes(child);
    return sum;
  }
  if (node.kind === 'file') return (typeof node.data === 'function' ? node.data() : node.data).length + 4096;
  return 512;
}

/** `off`, `lzjb`, `zle`, `gzip`, `gzip-1` … `gzip-9` → a ZIO_COMPRESS id. */
export function parseCompression(name: string): number {
  const table: Record<string, number> = {
    off: ZIO_COMPRESS.OFF,
    lzjb: ZIO_COMPRESS.LZJB,
    on: ZIO_COMPRESS.LZJB,
    zle: ZIO_COMPRESS.ZLE,
    gzip: ZIO_COMPRESS.GZIP_1 + 5,
  };
  for (let level = 1; level <= 9; level++) table[`gzip-${level}`] = ZIO_COMPRESS.GZIP_1 + level - 1;
  const id = table[name];
  if (id === undefined)
    throw new UsageError(`compression '${name}': supported are off, lzjb, zle, gzip, gzip-1 … gzip-9`);
  return id;
}

export function defaultPoolBytes(tree: ImageDir): number {
  // Copy-on-write needs slack, and the app will write: half as much again plus 32 MiB.
  const want = Math.ceil((treeBytes(tree) * 1.5 + 32 * MIB) / MIB) * MIB;
  return Math.max(MIN_VDEV_BYTES, want);
}

/** A pool size osv can build, or a UsageError naming `what` set it. */
export function checkPoolSize(sizeBytes: number, what: string): void {
  if (sizeBytes < MIN_VDEV_BYTES) throw new UsageError(`${what}: a ZFS vdev needs at least 64M`);
  if (sizeBytes > MAX_POOL_BYTES)
    throw new UsageError(
      `${what}: osv builds a pool in memory, and the largest it can is ${formatMemorySize(MAX_POOL_BYTES)}`,
    );
}

export function writeZfsImage(tree: ImageDir, o: ZfsImageOptions): Uint8Array {
  const size = o.sizeBytes || defaultPoolBytes(tree);
  checkPoolSize(size, o.sizeOption);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(size);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new CliError(`${o.sizeOption}: cannot allocate ${formatMemorySize(size)} of memory to build the pool in`);
  }
  const device = new MemoryBlockDevice(bytes, 'vblk0.1');
  const empty: ImageDir = { kind: 'dir', children: new Map() };
  createPool(device, o.dataset ? empty : tree, {
    name: o.pool,
    clock: {
      resolutionNs: 1,
      monotonicNs: () => performance.now() * 1e6,
      realtimeNs: () => BigInt(Date.now()) * 1_000_000n,
    },
    entropy: { fill: (b: Uint8Array) => void randomFillSync(b) },
    ashift: o.ashift,
    compression: o.compression,
    path: o.path,
    ...(o.dataset ? { datasets: [{ name: o.dataset, tree, compression: o.compression }] } : {}),
  });
  return bytes;
}

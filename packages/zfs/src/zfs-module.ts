// Kernel module `zfs`: registers the `zfs` file system type with the VFS. A mount source names a
// dataset (`osv/zfs`, `tank/data`, `tank@snap`); the pool is found by scanning the linked block
// devices for ZFS labels, as `zpool import` does, and opened once per boot so every dataset
// mounted from it shares one Pool (one ARC, one transaction engine).
import { Errno, FormatError, KernelError, type BlockDevice, type KernelModule, type ModuleContext } from '@osv-ts/kernel-api';
import { VFS_CAPABILITY, type VfsService } from '@osv-ts/vfs';
import { openPool, type Pool } from './pool/pool.js';
import { decodeLabelConfig, LABEL_COUNT, LABEL_SIZE, labelOffset, labelPsize, VDEV_PHYS_OFFSET, VDEV_PHYS_SIZE } from './format/label.js';
import { Dsl } from './dsl/dsl.js';
import { ZplFilesystem } from './zpl/zpl.js';
import { ZfsVfs } from './vfs/zfs-vfs.js';

/**
 * Leaf devices per pool name. Only a front label (L0 or L1) makes a device a member: a whole
 * disk whose last partition holds a pool also shows that pool's back labels (L2, L3) at its
 * end, at the wrong offsets for the data.
 */
export function discoverPools(devices: readonly BlockDevice[]): Map<string, BlockDevice[]> {
  const pools = new Map<string, BlockDevice[]>();
  for (const device of devices) {
    const name = frontLabelPoolName(device);
    if (name === undefined) continue;
    const members = pools.get(name) ?? [];
    members.push(device);
    pools.set(name, members);
  }
  return pools;
}

/** The pool named by L0's (else L1's) config; reads only their 112 KiB nvlist regions. */
function frontLabelPoolName(device: BlockDevice): string | undefined {
  if (labelPsize(device.sizeBytes) < LABEL_COUNT * LABEL_SIZE) return undefined;
  for (const l of [0, 1]) {
    const label = new Uint8Array(LABEL_SIZE);
    const at = labelOffset(l, labelPsize(device.sizeBytes));
    device.read(at + VDEV_PHYS_OFFSET, label.subarray(VDEV_PHYS_OFFSET, VDEV_PHYS_OFFSET + VDEV_PHYS_SIZE));
    try {
      const name = decodeLabelConfig(label, at)?.string('name');
      if (name !== undefined) return name;
    } catch (e) {
      if (!(e instanceof FormatError)) throw e; // a damaged nvlist: try the other label
    }
  }
  return undefined;
}

const zfsModule: KernelModule = {
  name: 'zfs',
  init(ctx: ModuleContext): void {
    const service = ctx.get<VfsService>(VFS_CAPABILITY);
    const opened = new Map<string, Pool>();
    let members: Map<string, BlockDevice[]> | undefined;
    const pool = (name: string): Pool => {
      const known = opened.get(name);
      if (known) return known;
      members ??= discoverPools(ctx.getAll<BlockDevice>('blockdev'));
      const devices = members.get(name);
      if (!devices) {
        const found = [...members.keys()];
        throw new KernelError(Errno.ENOENT, `zfs: no pool '${name}' on the block devices${found.length ? ` (found: ${found.join(', ')})` : ''}`);
      }
      const p = openPool(devices);
      opened.set(name, p);
      return p;
    };
    service.fsTypes.set('zfs', (source) => {
      const poolName = source.split(/[/@]/)[0]!;
      const p = pool(poolName);
      const dsl = new Dsl(p);
      return new ZfsVfs(new ZplFilesystem(dsl.objset(dsl.find(source))), p);
    });
  },
};

export default zfsModule;

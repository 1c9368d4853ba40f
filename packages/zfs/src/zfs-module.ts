// Kernel module `zfs`: registers the `zfs` file system type with the VFS. A mount source names a
// dataset (`osv/zfs`, `tank/data`, `tank@snap`); the pool is found by scanning the linked block
// devices for ZFS labels, as `zpool import` does, and opened once per boot so every dataset
// mounted from it shares one Pool (one ARC, one transaction engine). Pools we can write are
// mounted read-write, and a kernel thread commits their transaction groups.
import {
  Errno,
  FormatError,
  KernelError,
  type BlockDevice,
  type Clock,
  type Entropy,
  type KernelModule,
  type ModuleContext,
} from '@osv-ts/kernel-api';
import type { Scheduler, ThreadBody } from '@osv-ts/core-sched';
import { VFS_CAPABILITY, type VfsService } from '@osv-ts/vfs';
import { openPool, type Pool } from './pool/pool.js';
import {
  decodeLabelConfig,
  LABEL_COUNT,
  LABEL_SIZE,
  labelOffset,
  labelPsize,
  VDEV_PHYS_OFFSET,
  VDEV_PHYS_SIZE,
} from './format/label.js';
import { Dsl } from './dsl/dsl.js';
import { ZplFilesystem } from './zpl/zpl.js';
import { ZfsVfs } from './vfs/zfs-vfs.js';
import { WritablePool } from './spa/writable-pool.js';

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

/** zfs_txg_timeout: how often the sync thread commits what apps wrote (zfs's default, 5 s). */
export const TXG_TIMEOUT_NS = 5_000_000_000;

/**
 * A pool member that counts the requests under way on it. They can only be under way when
 * the caller is blocked in one, i.e. a file-system operation is half done.
 */
class IoTrackingDevice implements BlockDevice {
  constructor(
    private readonly device: BlockDevice,
    private readonly io: { inFlight: number },
  ) {}
  get name(): string {
    return this.device.name;
  }
  get sectorSizeBytes(): number {
    return this.device.sectorSizeBytes;
  }
  get sizeBytes(): number {
    return this.device.sizeBytes;
  }
  get readOnly(): boolean {
    return this.device.readOnly;
  }
  read(offsetBytes: number, into: Uint8Array): void {
    this.tracked(() => this.device.read(offsetBytes, into));
  }
  write(offsetBytes: number, data: Uint8Array): void {
    this.tracked(() => this.device.write(offsetBytes, data));
  }
  flush(): void {
    this.tracked(() => this.device.flush());
  }
  private tracked(op: () => void): void {
    this.io.inFlight++;
    try {
      op();
    } finally {
      this.io.inFlight--;
    }
  }
}

const zfsModule: KernelModule = {
  name: 'zfs',
  init(ctx: ModuleContext): void {
    const service = ctx.get<VfsService>(VFS_CAPABILITY);
    const clock = ctx.get<Clock>('clock');
    const entropy = ctx.get<Entropy>('entropy');
    const opened = new Map<string, { pool: Pool; writable?: WritablePool }>();
    const io = { inFlight: 0 };
    let members: Map<string, BlockDevice[]> | undefined;
    const open = (name: string): { pool: Pool; writable?: WritablePool } => {
      const known = opened.get(name);
      if (known) return known;
      members ??= discoverPools(ctx.getAll<BlockDevice>('blockdev'));
      const devices = members.get(name);
      if (!devices) {
        const found = [...members.keys()];
        throw new KernelError(
          Errno.ENOENT,
          `zfs: no pool '${name}' on the block devices${found.length ? ` (found: ${found.join(', ')})` : ''}`,
        );
      }
      // Read-write when the pool is one we can write (one file/disk vdev, SPA 15–23, a
      // writable device); anything else is still mounted, read-only.
      const tracked = devices.map((d) => new IoTrackingDevice(d, io));
      let entry: { pool: Pool; writable?: WritablePool };
      try {
        const writable = new WritablePool(tracked, { clock, entropy });
        entry = { pool: writable.pool, writable };
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        entry = { pool: openPool(tracked) };
      }
      opened.set(name, entry);
      return entry;
    };
    service.fsTypes.set('zfs', (source) => {
      const { pool, writable } = open(source.split(/[/@]/)[0]!);
      if (writable && !source.includes('@')) return new ZfsVfs(writable.filesystem(source), writable);
      const dsl = new Dsl(pool);
      return new ZfsVfs(new ZplFilesystem(dsl.objset(dsl.find(source))), pool);
    });
    // txg_sync: commit every TXG_TIMEOUT_NS what is dirty, as zfs's sync thread does; fsync,
    // sync(2), unmount and power-off commit at once through the VFS. A file-system operation
    // blocks only in disk I/O, and while it does the scheduler may run this thread: committing
    // then would cut the operation in half. So with requests under way on the pool's disks the
    // thread only marks the commit due, and the operation's end runs it (ZfsVfs, syncDue).
    const sched = ctx.tryGet<Scheduler>('scheduler');
    sched?.spawn(
      function* txgSync(): ThreadBody {
        for (;;) {
          yield* sched.sleep(TXG_TIMEOUT_NS);
          for (const { writable } of opened.values()) {
            if (!writable?.dirty) continue;
            if (io.inFlight > 0) writable.syncDue = true;
            else writable.sync();
          }
        }
      },
      { name: 'txg_sync' },
    );
  },
};

export default zfsModule;

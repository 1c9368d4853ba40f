// The vdev tree (reference §1, §2.4): leaf devices, mirrors and RAID-Z, built from a config
// nvlist. Reads are by (top-level vdev, offset, size) as DVAs give them; each read takes a
// `verify` callback so a mirror or RAID-Z can try another copy/reconstruction when a checksum fails.
import { ENOTSUP, Errno, KernelError, type BlockDevice } from '@osv-ts/kernel-api';
import { VDEV_LABEL_START_SIZE } from '../format/label.js';
import type { NvList } from '../format/nvlist.js';

export type Verify = (data: Uint8Array) => boolean;

export interface Vdev {
  readonly kind: string;
  readonly id: number;
  readonly guid: bigint;
  readonly ashift: number;
  /** Reads `size` bytes at `offset` (relative to allocatable space); verified if `verify` given. */
  read(offset: number, size: number, verify?: Verify): Uint8Array;
  /** Every guid in this subtree (for ub_guid_sum). */
  guids(): bigint[];
}

export class UnsupportedError extends KernelError {
  constructor(what: string) {
    super(ENOTSUP, what);
  }
}

export class LeafVdev implements Vdev {
  readonly kind: string;
  constructor(
    readonly id: number,
    readonly guid: bigint,
    readonly ashift: number,
    readonly device: BlockDevice | undefined,
    kind = 'file',
    readonly path = '',
  ) {
    this.kind = kind;
  }
  read(offset: number, size: number, verify?: Verify): Uint8Array {
    if (!this.device) throw new KernelError(Errno.ENXIO, `vdev ${this.path || this.guid} is missing`);
    const sector = this.device.sectorSizeBytes;
    const start = VDEV_LABEL_START_SIZE + offset;
    const alignedStart = Math.floor(start / sector) * sector;
    const alignedEnd = Math.ceil((start + size) / sector) * sector;
    if (alignedEnd > this.device.sizeBytes) throw new KernelError(Errno.EIO, `read past end of ${this.device.name}`);
    const buf = new Uint8Array(alignedEnd - alignedStart);
    this.device.read(alignedStart, buf);
    const data = buf.subarray(start - alignedStart, start - alignedStart + size);
    if (verify && !verify(data))
      throw new KernelError(Errno.EIO, `checksum mismatch on ${this.device.name} at ${offset}`);
    return data;
  }
  guids(): bigint[] {
    return [this.guid];
  }
}

export class MirrorVdev implements Vdev {
  readonly kind = 'mirror';
  constructor(
    readonly id: number,
    readonly guid: bigint,
    readonly ashift: number,
    readonly children: Vdev[],
  ) {}
  read(offset: number, size: number, verify?: Verify): Uint8Array {
    let last: unknown;
    for (const c of this.children) {
      try {
        return c.read(offset, size, verify);
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof KernelError ? last : new KernelError(Errno.EIO, `mirror ${this.guid}: no good copy`);
  }
  guids(): bigint[] {
    return [this.guid, ...this.children.flatMap((c) => c.guids())];
  }
}

interface RaidzColumn {
  dev: number;
  offset: number;
  size: number;
}

/**
 * RAID-Z (vdev_raidz_map_alloc): a block of s sectors starts at column f = b mod n of row
 * b div n, parity columns first; data is the concatenation of the data columns.
 */
export class RaidzVdev implements Vdev {
  readonly kind = 'raidz';
  /** Blocks rebuilt from parity because a data column was unreadable or wrong. */
  reconstructions = 0;
  constructor(
    readonly id: number,
    readonly guid: bigint,
    readonly ashift: number,
    readonly nparity: number,
    readonly children: Vdev[],
  ) {}

  map(offset: number, size: number): RaidzColumn[] {
    const shift = this.ashift;
    const dcols = this.children.length;
    const b = Math.floor(offset / 2 ** shift);
    const s = Math.ceil(size / 2 ** shift);
    const f = b % dcols;
    const o = Math.floor(b / dcols) * 2 ** shift;
    const dataCols = dcols - this.nparity;
    const q = Math.floor(s / dataCols);
    const r = s - q * dataCols;
    const bc = r === 0 ? 0 : r + this.nparity;
    let acols: number, scols: number;
    if (q === 0) {
      acols = bc;
      scols = Math.min(dcols, Math.ceil(bc / (this.nparity + 1)) * (this.nparity + 1));
    } else {
      acols = dcols;
      scols = dcols;
    }
    const cols: RaidzColumn[] = [];
    for (let c = 0; c < scols; c++) {
      let col = f + c;
      let coff = o;
      if (col >= dcols) {
        col -= dcols;
        coff += 2 ** shift;
      }
      const sz = c >= acols ? 0 : c < bc ? (q + 1) * 2 ** shift : q * 2 ** shift;
      cols.push({ dev: col, offset: coff, size: sz });
    }
    // RAID-Z1 swaps the parity and first data column on every other 1 MiB to spread parity I/O.
    if (this.nparity === 1 && Math.floor(offset / 2 ** 20) % 2 === 1 && cols.length >= 2) {
      const c0 = cols[0]!,
        c1 = cols[1]!;
      cols[0] = { ...c0, dev: c1.dev, offset: c1.offset };
      cols[1] = { ...c1, dev: c0.dev, offset: c0.offset };
    }
    return cols;
  }

  read(offset: number, size: number, verify?: Verify): Uint8Array {
    const cols = this.map(offset, size);
    const data = cols.slice(this.nparity).filter((c) => c.size > 0);
    const total = data.reduce((a, c) => a + c.size, 0);
    const bufs: (Uint8Array | null)[] = data.map((c) => {
      try {
        return this.children[c.dev]!.read(c.offset, c.size);
      } catch {
        return null;
      }
    });
    const assemble = (parts: (Uint8Array | null)[]): Uint8Array => {
      const out = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        out.set(p!, at);
        at += p!.length;
      }
      return out.subarray(0, size);
    };
    const missing = bufs.filter((b) => b === null).length;
    if (missing === 0) {
      const out = assemble(bufs);
      if (!verify || verify(out)) return out;
    }
    // Reconstruct one data column from P parity (XOR), trying each column in turn.
    const pcol = cols[0]!;
    if (this.nparity >= 1 && pcol.size > 0 && missing <= 1) {
      let parity: Uint8Array;
      try {
        parity = this.children[pcol.dev]!.read(pcol.offset, pcol.size);
      } catch {
        throw new KernelError(Errno.EIO, `raidz ${this.guid}: block at ${offset} unreadable`);
      }
      for (let i = 0; i < data.length; i++) {
        if (missing === 1 && bufs[i] !== null) continue;
        const rebuilt = parity.slice(0, data[i]!.size);
        for (let j = 0; j < data.length; j++) {
          if (j === i) continue;
          const other = bufs[j]!;
          for (let k = 0; k < other.length && k < rebuilt.length; k++) rebuilt[k]! ^= other[k]!;
        }
        const parts = bufs.slice();
        parts[i] = rebuilt;
        const out = assemble(parts);
        if (!verify || verify(out)) {
          this.reconstructions++;
          return out;
        }
      }
    }
    throw new KernelError(Errno.EIO, `raidz ${this.guid}: checksum mismatch at ${offset}`);
  }
  guids(): bigint[] {
    return [this.guid, ...this.children.flatMap((c) => c.guids())];
  }
}

/** Builds a vdev subtree from its config nvlist; leaves are matched to devices by guid. */
export function buildVdev(nv: NvList, devices: ReadonlyMap<bigint, BlockDevice>, parentAshift?: number): Vdev {
  const type = nv.string('type') ?? '?';
  const id = nv.num('id') ?? 0;
  const guid = nv.u64('guid') ?? 0n;
  const ashift = nv.num('ashift') ?? parentAshift ?? 9;
  const children = (): Vdev[] => (nv.listArray('children') ?? []).map((c) => buildVdev(c, devices, ashift));
  switch (type) {
    case 'file':
    case 'disk':
      return new LeafVdev(id, guid, ashift, devices.get(guid), type, nv.string('path') ?? '');
    case 'mirror':
    case 'replacing':
    case 'spare':
      return new MirrorVdev(id, guid, ashift, children());
    case 'raidz': {
      const nparity = nv.num('nparity') ?? 1;
      if (nparity < 1 || nparity > 3) throw new UnsupportedError(`vdev type raidz with nparity ${nparity}`);
      return new RaidzVdev(id, guid, ashift, nparity, children());
    }
    default:
      throw new UnsupportedError(`vdev type '${type}'`);
  }
}

// A qcow2 image (QEMU docs/interop/qcow2.txt), read and write, over a synchronous ImageFile:
// guest offsets map through the L1 table to L2 tables to data clusters; every cluster in use
// has a refcount of 1 in the refcount blocks. New clusters are appended at the end of the file
// (never reused), so metadata is written before the entry that points at it and a crash leaves
// at worst leaked clusters, never a dangling pointer. Writes need refcount_order 4 (16-bit
// refcounts, QEMU's default) and no internal snapshots: other images open read-only, and
// opening them for writing is a Qcow2Error saying why. Compressed clusters are readable by nothing
// here (they fail the request). Every offset read from the file is validated: a corrupt
// table is a FormatError, never a read outside the file or a host crash.
import { FormatError } from '@osv-ts/kernel-api';
import type { ImageFile } from '../image-file.js';
import {
  OFFSET_MASK,
  QCOW_OFLAG_COMPRESSED,
  QCOW_OFLAG_COPIED,
  QCOW_OFLAG_ZERO,
  parseQcow2Header,
  writeQcow2Header,
  type Qcow2Header,
} from './qcow2-header.js';

export class Qcow2Error extends Error {
  override readonly name = 'Qcow2Error';
}

export interface Qcow2CreateOptions {
  readonly clusterBits?: number;
}

export class Qcow2Image {
  readonly clusterBytes: number;
  readonly l2Entries: number;
  private readonly l1: bigint[];
  private readonly refcountTable: number[];
  private readonly l2Cache = new Map<number, DataView>();
  private readonly refblockCache = new Map<number, DataView>();
  private nextFreeCluster: number;
  readonly readOnly: boolean;
  readonly counters = { clustersAllocated: 0, l2Allocated: 0, refblocksAllocated: 0 };

  private constructor(
    readonly file: ImageFile,
    readonly header: Qcow2Header,
    readOnly: boolean,
  ) {
    this.clusterBytes = 2 ** header.clusterBits;
    this.l2Entries = this.clusterBytes / 8;
    const l1Bytes = new Uint8Array(header.l1Size * 8);
    file.read(header.l1TableOffset, l1Bytes);
    const lv = new DataView(l1Bytes.buffer);
    this.l1 = Array.from({ length: header.l1Size }, (_, i) => lv.getBigUint64(i * 8));
    const rtBytes = new Uint8Array(header.refcountTableClusters * this.clusterBytes);
    file.read(header.refcountTableOffset, rtBytes);
    const rv = new DataView(rtBytes.buffer);
    this.refcountTable = Array.from({ length: rtBytes.length / 8 }, (_, i) => {
      const e = rv.getBigUint64(i * 8);
      return e === 0n ? 0 : this.checkedOffset(e & ~0x1ffn, 'refcount table entry', header.refcountTableOffset + i * 8);
    });
    this.nextFreeCluster = Math.ceil(file.sizeBytes() / this.clusterBytes);
    // Writing an image with internal snapshots means copy-on-write of every cluster a snapshot
    // shares (refcount > 1, QCOW_OFLAG_COPIED clear), which this writer does not do: writing
    // in place would change the snapshots. So such an image opens read-only or not at all —
    // loudly, never silently read-only.
    if (!readOnly && header.nbSnapshots !== 0)
      throw new Qcow2Error(
        `the image has ${header.nbSnapshots} internal snapshot${header.nbSnapshots === 1 ? '' : 's'}, which osv-ts cannot write around; open it read-only, or remove them (qemu-img snapshot -l / -d)`,
      );
    if (!readOnly && header.refcountOrder !== 4)
      throw new Qcow2Error(
        `the image has ${2 ** header.refcountOrder}-bit refcounts; osv-ts writes only 16-bit ones (open it read-only, or qemu-img amend -o refcount_bits=16)`,
      );
    this.readOnly = readOnly;
  }

  get sizeBytes(): number {
    return this.header.sizeBytes;
  }

  /** Opens an existing image; a malformed header is a FormatError. */
  static open(file: ImageFile, readOnly = false): Qcow2Image {
    const head = new Uint8Array(Math.min(4096, Math.max(file.sizeBytes(), 0)));
    file.read(0, head);
    return new Qcow2Image(file, parseQcow2Header(head, file.sizeBytes()), readOnly);
  }

  /** True when the first bytes are the qcow2 magic. */
  static detect(file: ImageFile): boolean {
    const m = new Uint8Array(4);
    file.read(0, m);
    return m[0] === 0x51 && m[1] === 0x46 && m[2] === 0x49 && m[3] === 0xfb;
  }

  /** Writes an empty version-3 image of `sizeBytes` into `file` and opens it. */
  static create(file: ImageFile, sizeBytes: number, options: Qcow2CreateOptions = {}): Qcow2Image {
    const clusterBits = options.clusterBits ?? 16;
    const cb = 2 ** clusterBits;
    const l2Entries = cb / 8;
    const l1Size = Math.max(1, Math.ceil(sizeBytes / (cb * l2Entries)));
    const l1Clusters = Math.ceil((l1Size * 8) / cb);
    // cluster 0 header, 1 refcount table, 2 refcount block 0, 3.. L1 table.
    const refsPerBlock = cb / 2;
    const reservedClusters = 3 + l1Clusters;
    if (reservedClusters > refsPerBlock) throw new Qcow2Error('image too large for one initial refcount block');
    const header: Qcow2Header = {
      version: 3,
      backingFileOffset: 0n,
      backingFileSize: 0,
      clusterBits,
      sizeBytes,
      cryptMethod: 0,
      l1Size,
      l1TableOffset: 3 * cb,
      refcountTableOffset: cb,
      refcountTableClusters: 1,
      nbSnapshots: 0,
      snapshotsOffset: 0n,
      incompatibleFeatures: 0n,
      compatibleFeatures: 0n,
      autoclearFeatures: 0n,
      refcountOrder: 4,
      headerLength: 104,
    };
    const meta = new Uint8Array(reservedClusters * cb);
    meta.set(writeQcow2Header(header), 0);
    const v = new DataView(meta.buffer);
    v.setBigUint64(cb, BigInt(2 * cb));
    for (let c = 0; c < reservedClusters; c++) v.setUint16(2 * cb + c * 2, 1);
    file.write(0, meta);
    return Qcow2Image.open(file);
  }

  read(offsetBytes: number, into: Uint8Array): void {
    this.checkRange(offsetBytes, into.length);
    let done = 0;
    while (done < into.length) {
      const at = offsetBytes + done;
      const inCluster = at % this.clusterBytes;
      const n = Math.min(this.clusterBytes - inCluster, into.length - done);
      const piece = into.subarray(done, done + n);
      const host = this.lookup(at);
      if (host === undefined) piece.fill(0);
      else this.file.read(host + inCluster, piece);
      done += n;
    }
  }

  write(offsetBytes: number, data: Uint8Array): void {
    this.checkWritable();
    this.checkRange(offsetBytes, data.length);
    let done = 0;
    while (done < data.length) {
      const at = offsetBytes + done;
      const inCluster = at % this.clusterBytes;
      const n = Math.min(this.clusterBytes - inCluster, data.length - done);
      const piece = data.subarray(done, done + n);
      const { l2, l2Offset, index, entry } = this.l2For(at, true)!;
      const offset = Number(entry & OFFSET_MASK);
      if (offset !== 0 && (entry & QCOW_OFLAG_ZERO) === 0n) {
        this.file.write(offset + inCluster, piece);
      } else {
        // Unallocated or zero: the rest of the cluster must read back as zeroes.
        const cluster = new Uint8Array(this.clusterBytes);
        cluster.set(piece, inCluster);
        const host = offset !== 0 ? offset : this.allocateCluster();
        this.file.write(host, cluster);
        this.setL2(l2, l2Offset, index, BigInt(host) | QCOW_OFLAG_COPIED);
      }
      done += n;
    }
  }

  /** Makes [offset, offset+length) read as zeroes; whole clusters are released. */
  writeZeroes(offsetBytes: number, lengthBytes: number): void {
    this.checkWritable();
    this.checkRange(offsetBytes, lengthBytes);
    let done = 0;
    while (done < lengthBytes) {
      const at = offsetBytes + done;
      const inCluster = at % this.clusterBytes;
      const n = Math.min(this.clusterBytes - inCluster, lengthBytes - done);
      const found = this.l2For(at, false);
      if (found) {
        const { l2, l2Offset, index, entry } = found;
        const offset = Number(entry & OFFSET_MASK);
        const allocated = offset !== 0 && (entry & QCOW_OFLAG_ZERO) === 0n;
        if (n === this.clusterBytes && this.header.version === 3) {
          if (offset !== 0) this.setRefcount(offset / this.clusterBytes, 0);
          if (entry !== QCOW_OFLAG_ZERO) this.setL2(l2, l2Offset, index, QCOW_OFLAG_ZERO);
        } else if (allocated) {
          this.file.write(offset + inCluster, new Uint8Array(n));
        }
      }
      done += n;
    }
  }

  flush(): void {
    this.file.sync();
  }

  /** Host offset of the data cluster holding guest offset `at`, or undefined when it reads as zeroes. */
  private lookup(at: number): number | undefined {
    const found = this.l2For(at, false);
    if (!found) return undefined;
    const { entry, entryAt } = found;
    if (entry & QCOW_OFLAG_COMPRESSED) throw new Qcow2Error(`compressed cluster at guest offset ${at}: not supported`);
    if (entry & QCOW_OFLAG_ZERO) return undefined;
    const offset = entry & OFFSET_MASK;
    if (offset === 0n) return undefined;
    return this.checkedOffset(offset, 'L2 entry', entryAt);
  }

  private l2For(
    at: number,
    allocate: boolean,
  ): { l2: DataView; l2Offset: number; index: number; entry: bigint; entryAt: number } | undefined {
    const vcluster = Math.floor(at / this.clusterBytes);
    const l1Index = Math.floor(vcluster / this.l2Entries);
    const index = vcluster % this.l2Entries;
    const l1Entry = this.l1[l1Index]!;
    let l2Offset = Number(l1Entry & OFFSET_MASK);
    if (l2Offset === 0) {
      if (!allocate) return undefined;
      l2Offset = this.allocateCluster();
      this.file.write(l2Offset, new Uint8Array(this.clusterBytes));
      this.counters.l2Allocated++;
      this.l1[l1Index] = BigInt(l2Offset) | QCOW_OFLAG_COPIED;
      const e = new Uint8Array(8);
      new DataView(e.buffer).setBigUint64(0, this.l1[l1Index]);
      this.file.write(this.header.l1TableOffset + l1Index * 8, e);
    } else {
      this.checkedOffset(l1Entry & OFFSET_MASK, 'L1 entry', this.header.l1TableOffset + l1Index * 8);
    }
    const l2 = this.loadCluster(this.l2Cache, l2Offset);
    return { l2, l2Offset, index, entry: l2.getBigUint64(index * 8), entryAt: l2Offset + index * 8 };
  }

  private setL2(l2: DataView, l2Offset: number, index: number, entry: bigint): void {
    l2.setBigUint64(index * 8, entry);
    this.file.write(l2Offset + index * 8, new Uint8Array(l2.buffer, index * 8, 8));
  }

  private allocateCluster(): number {
    for (;;) {
      const c = this.nextFreeCluster++;
      const refsPerBlock = this.clusterBytes / 2;
      const tableIndex = Math.floor(c / refsPerBlock);
      if (tableIndex >= this.refcountTable.length)
        throw new Qcow2Error('refcount table full: image cannot grow further');
      if (this.refcountTable[tableIndex] === 0) {
        // The new refcount block describes its own range, so it takes cluster c and counts itself.
        const block = new Uint8Array(this.clusterBytes);
        new DataView(block.buffer).setUint16((c % refsPerBlock) * 2, 1);
        this.file.write(c * this.clusterBytes, block);
        this.refcountTable[tableIndex] = c * this.clusterBytes;
        const e = new Uint8Array(8);
        new DataView(e.buffer).setBigUint64(0, BigInt(c * this.clusterBytes));
        this.file.write(this.header.refcountTableOffset + tableIndex * 8, e);
        this.counters.refblocksAllocated++;
        continue;
      }
      this.setRefcount(c, 1);
      this.counters.clustersAllocated++;
      return c * this.clusterBytes;
    }
  }

  private setRefcount(cluster: number, value: number): void {
    const refsPerBlock = this.clusterBytes / 2;
    const blockOffset = this.refcountTable[Math.floor(cluster / refsPerBlock)];
    if (!blockOffset) throw new Qcow2Error(`cluster ${cluster} has no refcount block`);
    const block = this.loadCluster(this.refblockCache, blockOffset);
    const at = (cluster % refsPerBlock) * 2;
    block.setUint16(at, value);
    this.file.write(blockOffset + at, new Uint8Array(block.buffer, at, 2));
  }

  private loadCluster(cache: Map<number, DataView>, offset: number): DataView {
    let v = cache.get(offset);
    if (!v) {
      const bytes = new Uint8Array(this.clusterBytes);
      this.file.read(offset, bytes);
      v = new DataView(bytes.buffer);
      if (cache.size >= 256) cache.delete(cache.keys().next().value!);
      cache.set(offset, v);
    }
    return v;
  }

  private checkedOffset(offset: bigint, field: string, at: number): number {
    const cb = BigInt(this.clusterBytes);
    if (offset % cb !== 0n || offset === 0n || offset + cb > BigInt(this.file.sizeBytes())) {
      throw new FormatError(
        'qcow2',
        field,
        at,
        `offset 0x${offset.toString(16)} is unaligned or outside the file (${this.file.sizeBytes()} bytes)`,
      );
    }
    return Number(offset);
  }

  private checkRange(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.header.sizeBytes)
      throw new Qcow2Error(`${offset}+${length} beyond the virtual size ${this.header.sizeBytes}`);
  }

  private checkWritable(): void {
    if (this.readOnly) throw new Qcow2Error('image is read-only (opened so)');
    if (this.header.version === 3 && this.header.autoclearFeatures !== 0n) {
      // qcow2.txt: a writer that does not understand the autoclear features (bitmaps, raw
      // external data) must clear them, so readers stop trusting the data they describe.
      this.file.write(88, new Uint8Array(8));
      this.header.autoclearFeatures = 0n;
    }
  }
}

// Writing one block (zio write pipeline, simplified): compress (or store), checksum with
// fletcher4, allocate one DVA per copy, write every copy. The returned blkptr fields describe the
// block exactly as reference §4 requires (PSIZE/LSIZE, B=1, birth = the txg being written).
import type { BlockDevice } from '@osv-ts/kernel-api';
import type { BlkptrFields, Dva } from '../format/blkptr.js';
import { ZIO_CHECKSUM } from '../format/checksum.js';
import { compressBlock, ZIO_COMPRESS } from '../format/compress.js';
import { fletcher4 } from '../format/fletcher.js';
import { VDEV_LABEL_START_SIZE } from '../format/label.js';

/** Where blocks get their space: createPool's lanes or an opened pool's metaslabs. */
export interface SpaceAllocator {
  readonly ashift: number;
  /** Allocates DVA number `copy` of a block (copy 0 starts a new block); returns its offset. */
  allocate(size: number, copy: number): number;
}

export interface BlockOptions {
  type: number;
  level: number;
  copies: number;
  compress: number;
  fill: number;
}

/** Space charged to the objset that owns a block (dsl_dataset_block_born). */
export interface SpaceAccount {
  used: number;
  compressed: number;
  uncompressed: number;
}

/** v23 dmu_ot[].ot_metadata is false only for these types (reference §6.5). */
const DATA_TYPES = new Set([19, 23, 25, 26]);

export function isMetadataType(type: number): boolean {
  return !DATA_TYPES.has(type);
}

export class BlockWriter {
  blocksWritten = 0;

  constructor(
    readonly device: BlockDevice,
    readonly alloc: SpaceAllocator,
    readonly txg: number,
  ) {}

  private asizeOf(psize: number): number {
    const unit = 2 ** this.alloc.ashift;
    return Math.ceil(psize / unit) * unit;
  }

  /** Allocates the DVAs for a block of `psize` physical bytes. */
  reserve(psize: number, copies: number): Dva[] {
    const asize = this.asizeOf(psize);
    const dvas: Dva[] = [];
    for (let c = 0; c < copies; c++) dvas.push({ vdev: 0, asize, offset: this.alloc.allocate(asize, c), gang: false });
    return dvas;
  }

  /** Writes `data` (logical bytes) at already reserved DVAs without compression. */
  writeReserved(
    dvas: Dva[],
    data: Uint8Array,
    o: Omit<BlockOptions, 'compress' | 'copies'>,
    account?: SpaceAccount,
  ): BlkptrFields {
    return this.put(dvas, data, data, ZIO_COMPRESS.OFF, o, account);
  }

  write(data: Uint8Array, o: BlockOptions, account?: SpaceAccount): BlkptrFields {
    const compressed = o.compress === ZIO_COMPRESS.OFF ? null : compressBlock(o.compress, data);
    const phys = compressed ?? data;
    const dvas = this.reserve(phys.length, o.copies);
    return this.put(dvas, data, phys, compressed ? o.compress : ZIO_COMPRESS.OFF, o, account);
  }

  private put(
    dvas: Dva[],
    data: Uint8Array,
    phys: Uint8Array,
    comp: number,
    o: Omit<BlockOptions, 'compress' | 'copies'>,
    account?: SpaceAccount,
  ): BlkptrFields {
    for (const d of dvas) this.device.write(VDEV_LABEL_START_SIZE + d.offset, phys);
    this.blocksWritten++;
    const bp: BlkptrFields = {
      dva: dvas,
      lsize: data.length,
      psize: phys.length,
      compress: comp,
      checksumType: ZIO_CHECKSUM.FLETCHER_4,
      type: o.type,
      level: o.level,
      birth: this.txg,
      fill: o.fill,
      checksum: fletcher4(phys),
    };
    if (account) {
      account.used += dvas.reduce((a, d) => a + d.asize, 0);
      account.compressed += phys.length;
      account.uncompressed += o.level > 0 || isMetadataType(o.type) ? phys.length : data.length;
    }
    return bp;
  }
}

// OSv ROFS on-disk format (fs/rofs/rofs.hh; layout in shared/reference/osv-rofs.md §2): typed
// views over bytes, with every count and offset checked against the bytes and the device size
// before it is used. No state, no I/O. All integers little-endian.
import { FormatError } from '@osv-ts/kernel-api';

export const ROFS_MAGIC = 0xdeadbeadn;
export const ROFS_VERSION = 1n;
export const ROFS_BLOCK_SIZE = 512;
export const ROFS_SUPERBLOCK_SIZE = 64;
export const ROFS_INODE_SIZE = 32;
/** Smallest directory entry: u64 inode + u16 name length (+ the name). */
export const ROFS_DIRENT_HEADER = 10;
export const ROFS_SYMLINK_HEADER = 2;

export const ROFS_MODE_DIR = 0x4000;
export const ROFS_MODE_REG = 0x8000;
export const ROFS_MODE_LINK = 0xa000;

export interface RofsSuperblock {
  readonly magic: bigint;
  readonly version: bigint;
  readonly blockSize: number;
  readonly structureInfoFirstBlock: number;
  readonly structureInfoBlocksCount: number;
  readonly directoryEntriesCount: number;
  readonly symlinksCount: number;
  readonly inodesCount: number;
}

export interface RofsInode {
  /** S_IFDIR / S_IFREG / S_IFLNK bits only (the low u32 of the on-disk u64). */
  readonly mode: number;
  readonly inodeNo: number;
  /** file: first data block; dir: index of first entry; symlink: index in the symlink table. */
  readonly dataOffset: number;
  /** file: size in bytes; dir: number of children; symlink: 1. */
  readonly count: number;
}

export interface RofsDirEntry {
  readonly inodeNo: number;
  readonly name: string;
}

export interface RofsMetadata {
  readonly superblock: RofsSuperblock;
  readonly dirEntries: readonly RofsDirEntry[];
  readonly symlinks: readonly string[];
  readonly inodes: readonly RofsInode[];
}

const F = 'rofs';
const decoder = new TextDecoder('utf-8', { fatal: false });

function u64(view: DataView, offset: number, field: string): number {
  const v = view.getBigUint64(offset, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(F, field, offset, `value ${v} is too large`);
  return Number(v);
}

/** Parses and validates block 0 against the device size. */
export function parseSuperblock(block0: Uint8Array, deviceSizeBytes: number): RofsSuperblock {
  if (block0.length < ROFS_SUPERBLOCK_SIZE) throw new FormatError(F, 'superblock', 0, `only ${block0.length} bytes`);
  const view = new DataView(block0.buffer, block0.byteOffset, ROFS_SUPERBLOCK_SIZE);
  const magic = view.getBigUint64(0, true);
  if (magic !== ROFS_MAGIC) throw new FormatError(F, 'magic', 0, `0x${magic.toString(16)} is not 0xdeadbead`);
  const version = view.getBigUint64(8, true);
  if (version !== ROFS_VERSION) throw new FormatError(F, 'version', 8, `unsupported version ${version}`);
  const blockSize = u64(view, 16, 'block_size');
  // The OSv driver hard-codes 512-byte blocks (BSIZE, block << 9).
  if (blockSize !== ROFS_BLOCK_SIZE) throw new FormatError(F, 'block_size', 16, `${blockSize} is not 512`);
  const sb: RofsSuperblock = {
    magic,
    version,
    blockSize,
    structureInfoFirstBlock: u64(view, 24, 'structure_info_first_block'),
    structureInfoBlocksCount: u64(view, 32, 'structure_info_blocks_count'),
    directoryEntriesCount: u64(view, 40, 'directory_entries_count'),
    symlinksCount: u64(view, 48, 'symlinks_count'),
    inodesCount: u64(view, 56, 'inodes_count'),
  };
  const deviceBlocks = Math.floor(deviceSizeBytes / ROFS_BLOCK_SIZE);
  if (sb.structureInfoFirstBlock < 1 || sb.structureInfoFirstBlock >= deviceBlocks) {
    throw new FormatError(
      F,
      'structure_info_first_block',
      24,
      `${sb.structureInfoFirstBlock} outside 1..${deviceBlocks - 1}`,
    );
  }
  if (sb.structureInfoBlocksCount < 1 || sb.structureInfoFirstBlock + sb.structureInfoBlocksCount > deviceBlocks) {
    throw new FormatError(
      F,
      'structure_info_blocks_count',
      32,
      `${sb.structureInfoBlocksCount} blocks do not fit the device`,
    );
  }
  const bytes = sb.structureInfoBlocksCount * ROFS_BLOCK_SIZE;
  if (sb.inodesCount < 1 || sb.inodesCount * ROFS_INODE_SIZE > bytes) {
    throw new FormatError(F, 'inodes_count', 56, `${sb.inodesCount} inodes do not fit ${bytes} bytes`);
  }
  if (sb.directoryEntriesCount * ROFS_DIRENT_HEADER > bytes) {
    throw new FormatError(F, 'directory_entries_count', 40, `${sb.directoryEntriesCount} entries do not fit`);
  }
  if (sb.symlinksCount * ROFS_SYMLINK_HEADER > bytes) {
    throw new FormatError(F, 'symlinks_count', 48, `${sb.symlinksCount} symlinks do not fit`);
  }
  return sb;
}

/**
 * Parses the structure-info area (dir entries, symlinks, inodes, packed back to back) and
 * validates every cross reference: inode numbers, directory ranges, symlink indexes, file
 * extents within the device, and that the directory graph is a tree rooted at inode 1.
 * `areaOffset` is the area's byte offset in the image (for error messages).
 */
export function parseStructureInfo(area: Uint8Array, sb: RofsSuperblock, deviceSizeBytes: number): RofsMetadata {
  const base = sb.structureInfoFirstBlock * ROFS_BLOCK_SIZE;
  const view = new DataView(area.buffer, area.byteOffset, area.byteLength);
  let pos = 0;
  const need = (n: number, field: string): void => {
    if (pos + n > area.length)
      throw new FormatError(F, field, base + pos, `needs ${n} bytes past the end of the structure area`);
  };

  const dirEntries: RofsDirEntry[] = [];
  for (let i = 0; i < sb.directoryEntriesCount; i++) {
    need(ROFS_DIRENT_HEADER, `directory_entries[${i}]`);
    const at = pos;
    const inodeNo = u64(view, pos, `directory_entries[${i}].inode_no`);
    const len = view.getUint16(pos + 8, true);
    pos += ROFS_DIRENT_HEADER;
    need(len, `directory_entries[${i}].name`);
    const raw = area.subarray(pos, pos + len);
    pos += len;
    const name = decoder.decode(raw);
    if (inodeNo < 1 || inodeNo > sb.inodesCount) {
      throw new FormatError(
        F,
        `directory_entries[${i}].inode_no`,
        base + at,
        `${inodeNo} outside 1..${sb.inodesCount}`,
      );
    }
    if (len === 0 || name === '.' || name === '..' || raw.includes(0x2f) || raw.includes(0)) {
      throw new FormatError(
        F,
        `directory_entries[${i}].name`,
        base + at + ROFS_DIRENT_HEADER,
        `invalid name ${JSON.stringify(name)}`,
      );
    }
    dirEntries.push({ inodeNo, name });
  }

  const symlinks: string[] = [];
  for (let i = 0; i < sb.symlinksCount; i++) {
    need(ROFS_SYMLINK_HEADER, `symlinks[${i}]`);
    const len = view.getUint16(pos, true);
    pos += ROFS_SYMLINK_HEADER;
    need(len, `symlinks[${i}].path`);
    symlinks.push(decoder.decode(area.subarray(pos, pos + len)));
    pos += len;
  }

  const inodes: RofsInode[] = [];
  let totalChildren = 0;
  const deviceBlocks = Math.floor(deviceSizeBytes / ROFS_BLOCK_SIZE);
  for (let i = 0; i < sb.inodesCount; i++) {
    need(ROFS_INODE_SIZE, `inodes[${i}]`);
    const at = base + pos;
    // The kernel reads the low u32 of the u64 mode as mode_t.
    const mode = view.getUint32(pos, true);
    const inodeNo = u64(view, pos + 8, `inodes[${i}].inode_no`);
    const dataOffset = u64(view, pos + 16, `inodes[${i}].data_offset`);
    const count = u64(view, pos + 24, `inodes[${i}].count`);
    pos += ROFS_INODE_SIZE;
    if (inodeNo !== i + 1) throw new FormatError(F, `inodes[${i}].inode_no`, at + 8, `${inodeNo} is not ${i + 1}`);
    if (mode === ROFS_MODE_DIR) {
      if (dataOffset + count > dirEntries.length) {
        throw new FormatError(
          F,
          `inodes[${i}].data_offset`,
          at + 16,
          `entries ${dataOffset}+${count} outside the ${dirEntries.length}-entry table`,
        );
      }
      // Each entry belongs to one directory, so the children add up to at most the table size;
      // this also bounds the work of walking them.
      totalChildren += count;
      if (totalChildren > dirEntries.length) {
        throw new FormatError(F, `inodes[${i}].count`, at + 24, 'directories claim more entries than the table holds');
      }
    } else if (mode === ROFS_MODE_REG) {
      const blocks = Math.ceil(count / ROFS_BLOCK_SIZE);
      if (dataOffset > deviceBlocks || dataOffset + blocks > deviceBlocks) {
        throw new FormatError(
          F,
          `inodes[${i}].data_offset`,
          at + 16,
          `file of ${count} bytes at block ${dataOffset} ends past the device`,
        );
      }
    } else if (mode === ROFS_MODE_LINK) {
      if (dataOffset >= symlinks.length) {
        throw new FormatError(
          F,
          `inodes[${i}].data_offset`,
          at + 16,
          `symlink index ${dataOffset} outside ${symlinks.length}`,
        );
      }
    } else {
      throw new FormatError(F, `inodes[${i}].mode`, at, `unknown mode 0x${mode.toString(16)}`);
    }
    inodes.push({ mode, inodeNo, dataOffset, count });
  }

  if (inodes[0]!.mode !== ROFS_MODE_DIR)
    throw new FormatError(F, 'inodes[0].mode', base + pos, 'root inode 1 is not a directory');
  checkTree(inodes, dirEntries, base);
  return { superblock: sb, dirEntries, symlinks, inodes };
}

/** Every directory other than the root is named by exactly one entry, and the root by none:
 *  so the directories form a tree (no cycles, one parent each) and ".." is well defined. */
function checkTree(inodes: readonly RofsInode[], dirEntries: readonly RofsDirEntry[], base: number): void {
  const parents = new Uint32Array(inodes.length + 1);
  for (const dir of inodes) {
    if (dir.mode !== ROFS_MODE_DIR) continue;
    for (let k = 0; k < dir.count; k++) {
      const child = dirEntries[dir.dataOffset + k]!.inodeNo;
      if (inodes[child - 1]!.mode !== ROFS_MODE_DIR) continue;
      if (child === 1 || parents[child] !== 0) {
        throw new FormatError(F, 'directory_entries', base, `directory inode ${child} has more than one parent`);
      }
      parents[child] = dir.inodeNo;
    }
  }
}

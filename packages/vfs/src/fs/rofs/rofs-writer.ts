// Writes an OSv ROFS image from an ImageTree, byte for byte as OSv's scripts/gen-rofs-img.py
// does for the same tree (shared/reference/osv-rofs.md §3):
//  - block 0 is the superblock (written last, at offset 0);
//  - file data follows in a depth-first pre-order walk, each file starting on a new block and
//    zero-padded to a block multiple; an empty file writes nothing and records the current block;
//  - inode numbers are allocated in the same pre-order (root = 1), each directory's entries are
//    appended to the global entry table only after its subtree, so deeper directories' entries
//    come first and the root's last;
//  - then the entry table, the symlink table and the inode table, packed, and zero padding to
//    the next block boundary, which is a whole extra block when the tables end exactly on one
//    (the script pads `512 - bytes % 512`), not counted in structure_info_blocks_count.
// Names and symlink targets are written as UTF-8 with their byte length.
import { FormatError } from '@osv-ts/kernel-api';
import { type ImageDir, type ImageNode, fileBytes } from '../../image/image-tree.js';
import {
  ROFS_BLOCK_SIZE,
  ROFS_INODE_SIZE,
  ROFS_MAGIC,
  ROFS_MODE_DIR,
  ROFS_MODE_LINK,
  ROFS_MODE_REG,
  ROFS_VERSION,
} from './rofs-format.js';

interface InodeRecord {
  mode: number;
  inodeNo: number;
  dataOffset: number;
  count: number;
}

const encoder = new TextEncoder();

export interface RofsWriteResult {
  readonly image: Uint8Array;
  readonly structureInfoFirstBlock: number;
  readonly structureInfoBlocksCount: number;
  readonly directoryEntriesCount: number;
  readonly symlinksCount: number;
  readonly inodesCount: number;
}

/** The ROFS image of `root` (the guest's "/"). */
export function writeRofsImage(root: ImageDir): Uint8Array {
  return writeRofs(root).image;
}

export function writeRofs(root: ImageDir): RofsWriteResult {
  const dataParts: Uint8Array[] = [new Uint8Array(ROFS_BLOCK_SIZE)];
  let block = 1;
  const inodes: InodeRecord[] = [];
  const dirEntries: { name: Uint8Array; inodeNo: number }[] = [];
  const symlinks: Uint8Array[] = [];

  const nextInode = (): InodeRecord => {
    const r: InodeRecord = { mode: 0, inodeNo: inodes.length + 1, dataOffset: 0, count: 0 };
    inodes.push(r);
    return r;
  };

  const writeDir = (dir: ImageDir, path: string): { count: number; index: number } => {
    const mine: { name: string; inode: InodeRecord }[] = [];
    for (const [name, node] of dir.children) {
      const inode = nextInode();
      mine.push({ name, inode });
      writeNode(node, inode, `${path}/${name}`);
    }
    const index = dirEntries.length;
    for (const { name, inode } of mine) {
      const bytes = encoder.encode(name);
      if (bytes.length > 0xffff)
        throw new FormatError('rofs', 'name', 0, `${path}/${name}: name longer than 65535 bytes`);
      dirEntries.push({ name: bytes, inodeNo: inode.inodeNo });
    }
    return { count: mine.length, index };
  };

  const writeNode = (node: ImageNode, inode: InodeRecord, path: string): void => {
    if (node.kind === 'dir') {
      inode.mode = ROFS_MODE_DIR;
      const { count, index } = writeDir(node, path);
      inode.count = count;
      inode.dataOffset = index;
    } else if (node.kind === 'symlink') {
      inode.mode = ROFS_MODE_LINK;
      inode.dataOffset = symlinks.length;
      inode.count = 1;
      const bytes = encoder.encode(node.target);
      if (bytes.length > 0xffff) throw new FormatError('rofs', 'symlink', 0, `${path}: target longer than 65535 bytes`);
      symlinks.push(bytes);
    } else {
      inode.mode = ROFS_MODE_REG;
      inode.dataOffset = block;
      const data = fileBytes(node);
      inode.count = data.length;
      if (data.length > 0) {
        const blocks = Math.ceil(data.length / ROFS_BLOCK_SIZE);
        const padded = new Uint8Array(blocks * ROFS_BLOCK_SIZE);
        padded.set(data);
        dataParts.push(padded);
        block += blocks;
      }
    }
  };

  const rootInode = nextInode();
  rootInode.mode = ROFS_MODE_DIR;
  const r = writeDir(root, '');
  rootInode.count = r.count;
  rootInode.dataOffset = r.index;

  const firstBlock = block;
  let tableBytes = 0;
  for (const e of dirEntries) tableBytes += 10 + e.name.length;
  for (const s of symlinks) tableBytes += 2 + s.length;
  tableBytes += inodes.length * ROFS_INODE_SIZE;
  const last = tableBytes % ROFS_BLOCK_SIZE;
  const blocksCount = Math.floor(tableBytes / ROFS_BLOCK_SIZE) + (last > 0 ? 1 : 0);
  const pad = ROFS_BLOCK_SIZE - last;

  const tables = new Uint8Array(tableBytes + pad);
  const view = new DataView(tables.buffer);
  let p = 0;
  for (const e of dirEntries) {
    view.setBigUint64(p, BigInt(e.inodeNo), true);
    view.setUint16(p + 8, e.name.length, true);
    tables.set(e.name, p + 10);
    p += 10 + e.name.length;
  }
  for (const s of symlinks) {
    view.setUint16(p, s.length, true);
    tables.set(s, p + 2);
    p += 2 + s.length;
  }
  for (const i of inodes) {
    view.setBigUint64(p, BigInt(i.mode), true);
    view.setBigUint64(p + 8, BigInt(i.inodeNo), true);
    view.setBigUint64(p + 16, BigInt(i.dataOffset), true);
    view.setBigUint64(p + 24, BigInt(i.count), true);
    p += ROFS_INODE_SIZE;
  }
  dataParts.push(tables);

  let total = 0;
  for (const part of dataParts) total += part.length;
  const image = new Uint8Array(total);
  let off = 0;
  for (const part of dataParts) {
    image.set(part, off);
    off += part.length;
  }
  const sb = new DataView(image.buffer, 0, 64);
  sb.setBigUint64(0, ROFS_MAGIC, true);
  sb.setBigUint64(8, ROFS_VERSION, true);
  sb.setBigUint64(16, BigInt(ROFS_BLOCK_SIZE), true);
  sb.setBigUint64(24, BigInt(firstBlock), true);
  sb.setBigUint64(32, BigInt(blocksCount), true);
  sb.setBigUint64(40, BigInt(dirEntries.length), true);
  sb.setBigUint64(48, BigInt(symlinks.length), true);
  sb.setBigUint64(56, BigInt(inodes.length), true);
  return {
    image,
    structureInfoFirstBlock: firstBlock,
    structureInfoBlocksCount: blocksCount,
    directoryEntriesCount: dirEntries.length,
    symlinksCount: symlinks.length,
    inodesCount: inodes.length,
  };
}

import { describe, expect, it } from 'vitest';
import { encodeBlkptr, decodeBlkptr } from '../format/blkptr.js';
import { putU64 } from '../format/bytes.js';
import { ZEC_MAGIC } from '../format/embedded-checksum.js';
import { fletcher4 } from '../format/fletcher.js';
import { decodeObjsetPhys } from '../format/objset.js';
import { Arc } from '../pool/arc.js';
import { BlockReader } from '../pool/block-reader.js';
import type { Vdev } from '../pool/vdev.js';
import { zilHasRecords } from './zil.js';

// A one-vdev "disk" in memory holding one slim-ZIL block (zil_chain_t at the start, zilog2).
function setup(nused: number, corrupt = false): { reader: BlockReader; objset: Uint8Array } {
  const disk = new Uint8Array(1 << 16);
  const vdev: Vdev = {
    kind: 'mem',
    id: 0,
    guid: 1n,
    ashift: 9,
    read: (offset, size) => disk.slice(offset, offset + size),
    guids: () => [1n],
  };
  const verifier = [0x1234n, 0x5678n, 21n, 1n] as const; // {random, random, objset, seq}
  const block = new Uint8Array(4096);
  putU64(block, 136, nused);
  block.fill(0xab, 184, nused);
  putU64(block, 144, ZEC_MAGIC);
  for (let i = 0; i < 4; i++) putU64(block, 152 + i * 8, verifier[i]!);
  const sum = fletcher4(block.subarray(0, Math.ceil(nused / 4096) * 4096));
  for (let i = 0; i < 4; i++) putU64(block, 152 + i * 8, sum[i]!);
  if (corrupt) block[200]! ^= 1;
  disk.set(block, 8192);
  const objset = new Uint8Array(2048);
  objset[0] = 10;
  objset[1] = 14;
  objset[2] = 1;
  objset[3] = 3; // meta-dnode header
  const bpBuf = new Uint8Array(128);
  encodeBlkptr(bpBuf, 0, {
    dva: [{ vdev: 0, asize: 4096, offset: 8192, gang: false }],
    lsize: 4096,
    psize: 4096,
    compress: 2,
    checksumType: 9,
    type: 9,
    level: 0,
    birth: 5,
    fill: 0,
    checksum: verifier,
  });
  objset.set(bpBuf, 512 + 16);
  putU64(objset, 704, 2);
  return { reader: new BlockReader(new Map([[0, vdev]]), new Arc(1 << 20)), objset };
}

describe('intent log detection', () => {
  it('sees records in a log block whose embedded checksum verifies', () => {
    const { reader, objset } = setup(184 + 200);
    const phys = decodeObjsetPhys(objset, true);
    expect(decodeBlkptr(objset, 528, true).checksumType).toBe(9);
    expect(zilHasRecords(reader, phys)).toBe(true);
  });
  it('treats a block that fails its checksum as the end of an empty chain', () => {
    const { reader, objset } = setup(184 + 200, true);
    expect(zilHasRecords(reader, decodeObjsetPhys(objset, true))).toBe(false);
  });
  it('treats a valid block with no records (nused = header) as empty', () => {
    const { reader, objset } = setup(184);
    expect(zilHasRecords(reader, decodeObjsetPhys(objset, true))).toBe(false);
  });
  it('a hole log pointer means no log', () => {
    const { reader, objset } = setup(184 + 200);
    objset.fill(0, 512, 512 + 192);
    expect(zilHasRecords(reader, decodeObjsetPhys(objset, true))).toBe(false);
  });
});

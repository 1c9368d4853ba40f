// Self-checksummed regions (labels' nvlist and uberblock slots, gang headers): a trailing
// zio_eck_t {magic, 4×u64 cksum} whose cksum is SHA-256 of the region computed while the cksum
// field holds a position-dependent verifier (zio_checksum.c, "embedded checksum"). Reference
// §3.3: the verifier makes a block written at the wrong place fail.
import { putU64, viewOf } from './bytes.js';
import { checksumEqual, type Checksum } from './fletcher.js';
import { sha256 } from './sha256.js';

export const ZEC_MAGIC = 0x0210da7ab10c7a11n;
export const ZEC_SIZE = 40;

/** Checks the tail checksum of `region` against `verifier`. Accepts either byte order. */
export function verifyEmbedded(region: Uint8Array, verifier: Checksum): boolean {
  if (region.length < ZEC_SIZE) return false;
  const tail = region.length - ZEC_SIZE;
  const v = viewOf(region);
  const magicLe = v.getBigUint64(tail, true);
  let le: boolean;
  if (magicLe === ZEC_MAGIC) le = true;
  else if (v.getBigUint64(tail, false) === ZEC_MAGIC) le = false;
  else return false;
  const stored: Checksum = [
    v.getBigUint64(tail + 8, le),
    v.getBigUint64(tail + 16, le),
    v.getBigUint64(tail + 24, le),
    v.getBigUint64(tail + 32, le),
  ];
  const copy = region.slice();
  for (let i = 0; i < 4; i++) putU64(copy, tail + 8 + i * 8, verifier[i]!, le);
  return checksumEqual(sha256(copy), stored);
}

/** Writes magic and checksum into the tail of `region` (little-endian), in place. */
export function sealEmbedded(region: Uint8Array, verifier: Checksum): void {
  const tail = region.length - ZEC_SIZE;
  putU64(region, tail, ZEC_MAGIC);
  for (let i = 0; i < 4; i++) putU64(region, tail + 8 + i * 8, verifier[i]!);
  const sum = sha256(region);
  for (let i = 0; i < 4; i++) putU64(region, tail + 8 + i * 8, sum[i]!);
}

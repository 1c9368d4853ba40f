// Compression dispatch by zio_compress id (reference §5.4) and ZFS's store-or-compress rule
// (zio_compress_data): compressed output must save at least 1/8 and is zero-padded to 512 bytes.
import { inflateSync, zlibSync } from 'fflate';
import { formatError } from './bytes.js';
import { lz4Decompress } from './lz4.js';
import { lzjbCompress, lzjbDecompress } from './lzjb.js';
import { zleCompress, zleDecompress } from './zle.js';

export const ZIO_COMPRESS = {
  INHERIT: 0,
  ON: 1,
  OFF: 2,
  LZJB: 3,
  EMPTY: 4,
  GZIP_1: 5,
  GZIP_9: 13,
  ZLE: 14,
  LZ4: 15,
  ZSTD: 16,
} as const;

export function compressName(id: number): string {
  if (id >= 5 && id <= 13) return `gzip-${id - 4}`;
  return (
    ['inherit', 'on', 'off', 'lzjb', 'empty'][id] ??
    ({ 14: 'zle', 15: 'lz4', 16: 'zstd' } as Record<number, string>)[id] ??
    `compress#${id}`
  );
}

function gzipDecompress(src: Uint8Array, outLength: number): Uint8Array {
  // RFC 1950: CMF/FLG header, deflate stream, Adler-32; ZFS pads the block with zeros after it, so
  // inflate the raw deflate stream (which ends at its final block) rather than trusting the tail.
  if (src.length < 2) throw formatError('gzip.header', 0, 'truncated');
  const cmf = src[0]!,
    flg = src[1]!;
  if ((cmf & 0x0f) !== 8 || ((cmf << 8) | flg) % 31 !== 0 || (flg & 0x20) !== 0) {
    throw formatError('gzip.header', 0, `bad zlib header ${cmf.toString(16)} ${flg.toString(16)}`);
  }
  let out: Uint8Array;
  try {
    out = inflateSync(src.subarray(2), { out: new Uint8Array(outLength) });
  } catch (e) {
    throw formatError('gzip.deflate', 2, (e as Error).message);
  }
  if (out.length !== outLength) throw formatError('gzip.deflate', 2, `produced ${out.length} of ${outLength} bytes`);
  return out;
}

/** Decompresses a block's physical bytes into its logical size. */
export function decompress(id: number, src: Uint8Array, outLength: number): Uint8Array {
  switch (id) {
    case ZIO_COMPRESS.OFF:
    case ZIO_COMPRESS.EMPTY:
      if (src.length < outLength) throw formatError('blk_prop.psize', 0, 'uncompressed block shorter than lsize');
      return src.length === outLength ? src : src.subarray(0, outLength);
    case ZIO_COMPRESS.LZJB:
      return lzjbDecompress(src, outLength);
    case ZIO_COMPRESS.ZLE:
      return zleDecompress(src, outLength);
    case ZIO_COMPRESS.LZ4:
      return lz4Decompress(src, outLength);
    default:
      if (id >= ZIO_COMPRESS.GZIP_1 && id <= ZIO_COMPRESS.GZIP_9) return gzipDecompress(src, outLength);
      throw formatError('blk_prop.compress', 0, `unsupported compression ${compressName(id)} (${id})`);
  }
}

/**
 * Compresses `data` with function `id` for a block; returns the zero-padded physical bytes, or
 * null when the block should be stored uncompressed (saves less than 1/8, as ZFS requires).
 */
export function compressBlock(id: number, data: Uint8Array): Uint8Array | null {
  const lsize = data.length;
  const limit = Math.floor((lsize - (lsize >> 3)) / 512) * 512;
  if (limit <= 0) return null;
  let out: Uint8Array | null;
  switch (id) {
    case ZIO_COMPRESS.OFF:
      return null;
    case ZIO_COMPRESS.LZJB:
      out = lzjbCompress(data, limit);
      break;
    case ZIO_COMPRESS.ZLE:
      out = zleCompress(data, limit);
      break;
    default:
      if (id >= ZIO_COMPRESS.GZIP_1 && id <= ZIO_COMPRESS.GZIP_9) {
        const z = zlibSync(data, { level: (id - 4) as 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 });
        out = z.length <= limit ? z : null;
        break;
      }
      throw formatError('compress', 0, `cannot write compression ${compressName(id)} (${id})`);
  }
  if (out === null) return null;
  const padded = new Uint8Array(Math.ceil(out.length / 512) * 512 || 512);
  padded.set(out);
  return padded.length <= limit ? padded : null;
}

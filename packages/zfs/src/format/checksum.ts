// Block checksum functions by zio_checksum id (reference §5.1). Embedded-checksum kinds
// (label, gang header, ZIL) are handled by embedded-checksum.ts, not here.
import { formatError } from './bytes.js';
import { fletcher2, fletcher4, type Checksum } from './fletcher.js';
import { sha256 } from './sha256.js';

export const ZIO_CHECKSUM = {
  INHERIT: 0,
  ON: 1,
  OFF: 2,
  LABEL: 3,
  GANG_HEADER: 4,
  ZILOG: 5,
  FLETCHER_2: 6,
  FLETCHER_4: 7,
  SHA256: 8,
  ZILOG2: 9,
  NOPARITY: 10,
  SHA512: 11,
  SKEIN: 12,
  EDONR: 13,
  BLAKE3: 14,
} as const;

const NAMES = [
  'inherit',
  'on',
  'off',
  'label',
  'gang_header',
  'zilog',
  'fletcher2',
  'fletcher4',
  'sha256',
  'zilog2',
  'noparity',
  'sha512',
  'skein',
  'edonr',
  'blake3',
];

export function checksumName(id: number): string {
  return NAMES[id] ?? `checksum#${id}`;
}

/** Computes checksum `id` over `data`; `null` for "off"/"noparity". Unsupported ids throw. */
export function computeChecksum(id: number, data: Uint8Array, le: boolean): Checksum | null {
  switch (id) {
    case ZIO_CHECKSUM.OFF:
    case ZIO_CHECKSUM.NOPARITY:
      return null;
    case ZIO_CHECKSUM.FLETCHER_2:
      return fletcher2(data, le);
    case ZIO_CHECKSUM.FLETCHER_4:
      return fletcher4(data, le);
    case ZIO_CHECKSUM.SHA256:
      return sha256(data);
    default:
      throw formatError('blk_prop.checksum', 0, `unsupported checksum ${checksumName(id)} (${id})`);
  }
}

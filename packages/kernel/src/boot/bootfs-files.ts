// Reads OSv's bootfs.bin (scripts/mkbootfs.py): 128-byte records {u64 size, u64 offset,
// u8 type, char name[111]} ending with an all-zero record, then the file data. The VMM's
// firmware places it in guest RAM; the kernel serves the app from it. Files are views into
// guest RAM, not copies.
import { FormatError } from '@osv-ts/kernel-api';

export interface BootfsEntry {
  readonly path: string;
  readonly kind: 'file' | 'dir' | 'symlink';
  readonly data: Uint8Array;
}

const RECORD = 128;

export function readBootfs(image: Uint8Array): Map<string, BootfsEntry> {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const entries = new Map<string, BootfsEntry>();
  const decoder = new TextDecoder();
  for (let at = 0; ; at += RECORD) {
    if (at + RECORD > image.length) throw new FormatError('bootfs', 'record', at, 'image ends before the terminating record');
    const size = Number(view.getBigUint64(at, true));
    const offset = Number(view.getBigUint64(at + 8, true));
    const type = view.getUint8(at + 16);
    const nameBytes = image.subarray(at + 17, at + RECORD);
    const nul = nameBytes.indexOf(0);
    const name = decoder.decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul));
    if (name === '' && size === 0 && offset === 0) break;
    if (offset > image.length || size > image.length - offset) throw new FormatError('bootfs', `data of ${name}`, at, `[${offset}, +${size}) lies outside the ${image.length}-byte image`);
    if (type > 1) throw new FormatError('bootfs', 'type', at + 16, `unknown entry type ${type}`);
    const path = '/' + name.replace(/^\/+/, '').replace(/\/+$/, '');
    const kind = type === 1 ? 'symlink' : name.endsWith('/') ? 'dir' : 'file';
    const data = image.subarray(offset, offset + (kind === 'symlink' && size > 0 && image[offset + size - 1] === 0 ? size - 1 : size));
    entries.set(path, { path, kind, data });
  }
  return entries;
}

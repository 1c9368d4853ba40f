// OSv's bootfs.bin (scripts/mkbootfs.py; shared/reference/osv-manifest-and-build.md §2): a run
// of 128-byte records `{u64 size, u64 offset, i8 type, char name[111]}` (little-endian, Python
// struct 'QQb111s'), ended by a record whose name starts with NUL, then the contents back to
// back with no padding. Offsets count from the start of the archive. type 0 = file or (name
// ending in "/", size 0) directory, 1 = symlink whose data is the target plus a NUL.
import { FormatError } from '@osv-ts/kernel-api';

export const BOOTFS_RECORD_SIZE = 128;
export const BOOTFS_NAME_SIZE = 111;
export const BOOTFS_TYPE_FILE = 0;
export const BOOTFS_TYPE_SYMLINK = 1;

export type BootfsEntry =
  | { readonly kind: 'file'; readonly name: string; readonly data: Uint8Array }
  | { readonly kind: 'dir'; readonly name: string }
  | { readonly kind: 'symlink'; readonly name: string; readonly target: string };

const F = 'bootfs';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Parses a bootfs archive, checking every record, name and data range against its length. */
export function parseBootfs(bytes: Uint8Array): BootfsEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: BootfsEntry[] = [];
  for (let at = 0; ; at += BOOTFS_RECORD_SIZE) {
    if (at + BOOTFS_RECORD_SIZE > bytes.length)
      throw new FormatError(F, 'record', at, 'archive ends before the terminating record');
    const nameBytes = bytes.subarray(at + 17, at + 17 + BOOTFS_NAME_SIZE);
    if (nameBytes[0] === 0) break;
    const nul = nameBytes.indexOf(0);
    // mkbootfs.py does not check the length (a FIXME there); a name without its NUL would run
    // into the next record in OSv's unpacker, so it is refused here.
    if (nul < 0) throw new FormatError(F, 'name', at + 17, 'name is not NUL-terminated within 111 bytes');
    const name = decoder.decode(nameBytes.subarray(0, nul));
    const sizeBig = view.getBigUint64(at, true);
    const offsetBig = view.getBigUint64(at + 8, true);
    if (offsetBig > BigInt(bytes.length) || sizeBig > BigInt(bytes.length) - offsetBig) {
      throw new FormatError(
        F,
        'offset',
        at + 8,
        `${name}: data ${offsetBig}+${sizeBig} outside the ${bytes.length}-byte archive`,
      );
    }
    const size = Number(sizeBig);
    const offset = Number(offsetBig);
    const type = view.getInt8(at + 16);
    const data = bytes.subarray(offset, offset + size);
    if (type === BOOTFS_TYPE_SYMLINK) {
      if (size === 0 || data[size - 1] !== 0)
        throw new FormatError(F, 'symlink', offset, `${name}: target is not NUL-terminated`);
      entries.push({ kind: 'symlink', name, target: decoder.decode(data.subarray(0, size - 1)) });
    } else if (type === BOOTFS_TYPE_FILE) {
      if (name.endsWith('/')) entries.push({ kind: 'dir', name });
      else entries.push({ kind: 'file', name, data });
    } else {
      throw new FormatError(F, 'type', at + 16, `${name}: unknown type ${type}`);
    }
  }
  return entries;
}

/**
 * A bootfs archive not yet written: its size, and a function that writes it into a buffer of
 * that size — such as the guest RAM that will hold it, so that a large app is copied once.
 */
export interface BootfsImage {
  readonly byteLength: number;
  writeInto(dest: Uint8Array): void;
}

/** Lays out a bootfs archive of `entries`, in order, as mkbootfs.py does (checking every name). */
export function bootfsImage(entries: readonly BootfsEntry[]): BootfsImage {
  const payloads: Uint8Array[] = [];
  let pos = (entries.length + 1) * BOOTFS_RECORD_SIZE;
  const header = new Uint8Array(pos);
  const view = new DataView(header.buffer);
  entries.forEach((e, i) => {
    const at = i * BOOTFS_RECORD_SIZE;
    let name = e.name;
    let payload: Uint8Array;
    let type = BOOTFS_TYPE_FILE;
    if (e.kind === 'dir') {
      if (!name.endsWith('/')) name += '/';
      payload = new Uint8Array(0);
    } else if (e.kind === 'symlink') {
      type = BOOTFS_TYPE_SYMLINK;
      const t = encoder.encode(e.target);
      payload = new Uint8Array(t.length + 1);
      payload.set(t);
    } else {
      payload = e.data;
    }
    const nameBytes = encoder.encode(name);
    if (nameBytes.length === 0 || nameBytes.length > BOOTFS_NAME_SIZE - 1) {
      throw new FormatError(F, 'name', at + 17, `${JSON.stringify(name)} must be 1..110 bytes`);
    }
    view.setBigUint64(at, BigInt(payload.length), true);
    view.setBigUint64(at + 8, BigInt(pos), true);
    view.setInt8(at + 16, type);
    header.set(nameBytes, at + 17);
    payloads.push(payload);
    pos += payload.length;
  });
  const byteLength = pos;
  return {
    byteLength,
    writeInto(dest: Uint8Array): void {
      if (dest.length !== byteLength)
        throw new RangeError(`bootfs archive of ${byteLength} bytes written into ${dest.length}`);
      dest.set(header);
      let off = header.length;
      for (const p of payloads) {
        dest.set(p, off);
        off += p.length;
      }
    },
  };
}

/** Writes a bootfs archive of `entries`, in order, as mkbootfs.py does. */
export function writeBootfs(entries: readonly BootfsEntry[]): Uint8Array {
  const image = bootfsImage(entries);
  const out = new Uint8Array(image.byteLength);
  image.writeInto(out);
  return out;
}

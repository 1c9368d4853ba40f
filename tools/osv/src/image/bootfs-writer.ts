// Writes OSv's bootfs.bin (scripts/mkbootfs.py): 128-byte records {u64 size, u64 offset,
// u8 type (0 file/dir, 1 symlink), char name[111]}, an all-zero terminating record, then the
// data back to back. Directory names end in '/' with size 0; symlink data is target + NUL.

export type BootfsInput =
  | { readonly path: string; readonly kind: 'file'; readonly data: Uint8Array }
  | { readonly path: string; readonly kind: 'dir' }
  | { readonly path: string; readonly kind: 'symlink'; readonly target: string };

const RECORD = 128;
const NAME_BYTES = 111;

export function writeBootfs(entries: readonly BootfsInput[]): Uint8Array {
  const enc = new TextEncoder();
  const datas = entries.map((e) => (e.kind === 'file' ? e.data : e.kind === 'symlink' ? enc.encode(`${e.target}\0`) : new Uint8Array(0)));
  const headerBytes = RECORD * (entries.length + 1);
  const total = headerBytes + datas.reduce((n, d) => n + d.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let dataAt = headerBytes;
  entries.forEach((e, i) => {
    const at = i * RECORD;
    const name = enc.encode(e.path.replace(/^\/+/, '') + (e.kind === 'dir' ? '/' : ''));
    if (name.length >= NAME_BYTES) throw new Error(`bootfs: name '${e.path}' is longer than ${NAME_BYTES - 1} bytes`);
    const data = datas[i]!;
    view.setBigUint64(at, BigInt(data.length), true);
    view.setBigUint64(at + 8, BigInt(data.length > 0 ? dataAt : 0), true);
    view.setUint8(at + 16, e.kind === 'symlink' ? 1 : 0);
    out.set(name, at + 17);
    out.set(data, dataAt);
    dataAt += data.length;
  });
  return out;
}

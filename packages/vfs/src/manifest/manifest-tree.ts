// Turns resolved manifest entries into what the image writers take, with the same rules as
// OSv's scripts:
//  - toRofsTree: gen-rofs-img.py parse_manifest (a nested, insertion-ordered tree; the last
//    line for a guest path wins but keeps the first one's place; "->T" and host symlinks become
//    symlinks, host directories become empty directories, other paths become files read
//    through HostFs when the writer reaches them; "*-stripped.so" host paths are skipped);
//  - toBootfsEntries: mkbootfs.py (a flat list in manifest order; host directories become
//    "name/" records, "->T" symlinks; host symlinks are copied as their content).
// Neither strips shared objects: OSv strips its own build products with `strip`, which an
// osv-ts image (wasm apps) does not have.
import { FormatError } from '@osv-ts/kernel-api';
import type { BootfsEntry } from '../fs/bootfs/bootfs-format.js';
import { type ImageDir, type ImageNode, imageDir } from '../image/image-tree.js';
import type { HostFs } from './host-fs.js';
import type { ManifestEntry } from './manifest-expand.js';

type MutableDir = { kind: 'dir'; children: Map<string, ImageNode> };

function child(dir: MutableDir, name: string, guest: string): MutableDir {
  let next = dir.children.get(name);
  if (next === undefined) {
    next = imageDir();
    dir.children.set(name, next);
  }
  if (next.kind !== 'dir')
    throw new FormatError('manifest', guest, 0, `"${name}" is a file in one entry and a directory in another`);
  return next;
}

export function toRofsTree(entries: Iterable<ManifestEntry>, host: HostFs): ImageDir {
  // The script's dict keyed by path component; guest paths start with "/", so the image root
  // is the key "" of the top-level dict.
  const top: MutableDir = imageDir();
  const parentOf = (guest: string): [MutableDir, string] => {
    const tokens = guest.replace(/\/+$/, '').split('/');
    let d = top;
    for (const t of tokens.slice(0, -1)) d = child(d, t, guest);
    return [d, tokens[tokens.length - 1]!];
  };
  for (const { guest, host: h } of entries) {
    if (h.startsWith('->')) {
      const [d, name] = parentOf(guest);
      d.children.set(name, { kind: 'symlink', target: h.slice(2) });
      continue;
    }
    if (h.endsWith('-stripped.so')) continue;
    const kind = host.lstat(h);
    if (kind === 'symlink') {
      const [d, name] = parentOf(guest);
      d.children.set(name, { kind: 'symlink', target: host.readlink(h) });
    } else if (host.stat(h) === 'dir') {
      const tokens = guest.replace(/\/+$/, '').split('/');
      let d = top;
      for (const t of tokens.slice(0, -1)) d = child(d, t, guest);
      // The script's setdefault keeps whatever already has the last name, even a file.
      const last = tokens[tokens.length - 1]!;
      if (!d.children.has(last)) d.children.set(last, imageDir());
    } else {
      const [d, name] = parentOf(guest);
      d.children.set(name, { kind: 'file', data: () => host.readFile(h) });
    }
  }
  const root = top.children.get('');
  if (root === undefined) return imageDir();
  if (root.kind !== 'dir') throw new FormatError('manifest', '/', 0, 'the root is not a directory');
  return root;
}

export function toBootfsEntries(entries: Iterable<ManifestEntry>, host: HostFs): BootfsEntry[] {
  const out: BootfsEntry[] = [];
  for (const { guest, host: h } of entries) {
    if (guest.endsWith('-stripped.so')) continue;
    if (h.startsWith('->')) out.push({ kind: 'symlink', name: guest, target: h.slice(2) });
    else if (host.stat(h) === 'dir') out.push({ kind: 'dir', name: guest.endsWith('/') ? guest : guest + '/' });
    else out.push({ kind: 'file', name: guest, data: host.readFile(h) });
  }
  return out;
}

// Turns a checked manifest plan (manifest-plan.ts) into what the image writers take:
//  - toRofsTree: gen-rofs-img.py's nested, insertion-ordered tree, for ROFS and ZFS images
//    (files are read through HostFs when the writer reaches them; "*-stripped.so" host paths
//    are skipped, as the script skips them);
//  - toBootfsEntries: mkbootfs.py's flat list in manifest order, for the ramfs root of
//    `osv run --manifest` (directories as "name/" records; symlinks as symlink records, where
//    mkbootfs.py copies a "!" link's content; guest names ending in "-stripped.so" skipped).
// Neither strips shared objects: OSv strips its own build products with `strip`, which an
// osv-ts image (wasm apps) does not have.
import type { BootfsEntry } from '../fs/bootfs/bootfs-format.js';
import { type ImageDir, type ImageNode, imageDir } from '../image/image-tree.js';
import type { HostFs } from './host-fs.js';
import { ManifestSourceError } from './manifest-error.js';
import type { ManifestPlan, PlannedEntry, PlannedNode } from './manifest-plan.js';

type MutableDir = { kind: 'dir'; children: Map<string, ImageNode> };

export function toRofsTree(plan: ManifestPlan, host: HostFs): ImageDir {
  const root: MutableDir = imageDir();
  for (const entry of plan.entries) {
    const { guest, node } = entry;
    if (node.kind === 'file' && node.host.endsWith('-stripped.so')) continue;
    const names = guest === '/' ? [] : guest.slice(1).split('/');
    let dir = root;
    // The plan guarantees every parent is a directory (or not there yet).
    for (const name of names.slice(0, -1)) {
      let next = dir.children.get(name);
      if (next === undefined) dir.children.set(name, (next = imageDir()));
      dir = next as MutableDir;
    }
    const last = names.at(-1);
    if (last === undefined) continue; // "/" itself: the root exists
    if (node.kind === 'dir') {
      if (!dir.children.has(last)) dir.children.set(last, imageDir());
    } else dir.children.set(last, imageNode(entry, node, host));
  }
  return root;
}

function imageNode(entry: PlannedEntry, node: Exclude<PlannedNode, { kind: 'dir' }>, host: HostFs): ImageNode {
  if (node.kind === 'symlink') return { kind: 'symlink', target: node.target };
  return { kind: 'file', data: () => readHostFile(entry, node, host) };
}

/** A planned file's bytes; a file that vanished or turned into a symlink names its line. */
function readHostFile(entry: PlannedEntry, node: Extract<PlannedNode, { kind: 'file' }>, host: HostFs): Uint8Array {
  try {
    return host.readFile(node.host, { noFollow: node.noFollow });
  } catch (e) {
    throw new ManifestSourceError(entry.line, `${entry.guest}: cannot read ${node.host}: ${(e as Error).message}`);
  }
}

export function toBootfsEntries(plan: ManifestPlan, host: HostFs): BootfsEntry[] {
  const out: BootfsEntry[] = [];
  for (const entry of plan.entries) {
    const { guest, node } = entry;
    if (guest.endsWith('-stripped.so') || guest === '/') continue;
    if (node.kind === 'symlink') out.push({ kind: 'symlink', name: guest, target: node.target });
    else if (node.kind === 'dir') out.push({ kind: 'dir', name: guest + '/' });
    else out.push({ kind: 'file', name: guest, data: readHostFile(entry, node, host) });
  }
  return out;
}

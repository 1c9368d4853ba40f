// Flattens an ImageTree into bootfs entries in depth-first pre-order (each directory before
// its contents, children in insertion order). Directories are listed explicitly so empty ones
// survive the trip.
import type { BootfsEntry } from '../fs/bootfs/bootfs-format.js';
import { type ImageDir, fileBytes } from './image-tree.js';

export function bootfsEntriesFromTree(root: ImageDir): BootfsEntry[] {
  const out: BootfsEntry[] = [];
  const walk = (dir: ImageDir, path: string): void => {
    for (const [name, node] of dir.children) {
      const p = `${path}/${name}`;
      if (node.kind === 'dir') {
        out.push({ kind: 'dir', name: p + '/' });
        walk(node, p);
      } else if (node.kind === 'symlink') {
        out.push({ kind: 'symlink', name: p, target: node.target });
      } else {
        out.push({ kind: 'file', name: p, data: fileBytes(node) });
      }
    }
  };
  walk(root, '');
  return out;
}

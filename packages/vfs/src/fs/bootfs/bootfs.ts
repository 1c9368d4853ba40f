// Unpacks a bootfs archive into the VFS (OSv fs/vfs/main.cc unpack_bootfs): directories are
// created with their parents, files are created (parents first) and written, symlinks made.
// Used for the initial ramfs root that a boot bundle embeds.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { O_CREAT, O_TRUNC, O_WRONLY } from '../../open-flags.js';
import type { Vfs } from '../../vfs.js';
import type { ImageDir } from '../../image/image-tree.js';
import { bootfsEntriesFromTree } from '../../image/tree-entries.js';
import { type BootfsEntry, parseBootfs } from './bootfs-format.js';
import { RamFs } from '../ramfs/ramfs.js';

/** Creates every directory on the way to `path` (mkdir -p). */
export function mkdirp(vfs: Vfs, path: string, perm = 0o755): void {
  let cur = '';
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    cur += '/' + part;
    try {
      vfs.mkdir(cur, perm);
    } catch (e) {
      if (!(e instanceof KernelError) || e.errno !== Errno.EEXIST) throw e;
    }
  }
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * Puts `entries` under `prefix` (default "/") of the VFS. `keepData`: the entries' bytes may
 * become the files' content without a copy where the file system can take them (ramfs), so
 * writes to those files change them — for a bootfs archive that nothing else writes.
 */
export function populateFromEntries(
  vfs: Vfs,
  entries: readonly BootfsEntry[],
  prefix = '',
  { keepData = false }: { keepData?: boolean } = {},
): void {
  for (const e of entries) {
    const path = prefix + (e.name.startsWith('/') ? e.name : '/' + e.name);
    if (e.kind === 'dir') {
      mkdirp(vfs, path);
    } else if (e.kind === 'symlink') {
      mkdirp(vfs, dirname(path));
      vfs.symlink(e.target, path);
    } else {
      mkdirp(vfs, dirname(path));
      const f = vfs.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o755);
      try {
        const ops = f.vnode.ops;
        if (keepData && ops instanceof RamFs && e.data.length > 0) ops.adopt(f.vnode, e.data);
        else for (let done = 0; done < e.data.length;) done += f.write(e.data.subarray(done));
      } finally {
        f.close();
      }
    }
  }
}

/**
 * Parses `bytes` as bootfs.bin and unpacks it into the VFS. `keepData`: ramfs files keep their
 * content where it lies in `bytes` instead of a copy (writes to them then change `bytes`) — for
 * the kernel's own archive in guest RAM, reserved for good, where copying a 30 MB app cost
 * 30 ms of every boot (OSv's unpack_bootfs copies).
 */
export function unpackBootfs(vfs: Vfs, bytes: Uint8Array, prefix = '', options: { keepData?: boolean } = {}): void {
  populateFromEntries(vfs, parseBootfs(bytes), prefix, options);
}

/** Copies an image tree (a manifest's, or files embedded in an app bundle) into the VFS under `prefix`. */
export function populateFromTree(vfs: Vfs, tree: ImageDir, prefix = ''): void {
  populateFromEntries(vfs, bootfsEntriesFromTree(tree), prefix);
}

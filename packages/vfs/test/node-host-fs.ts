/// <reference types="node" />
// A HostFs over node:fs, as tools/osv would write it: lstat/stat kinds, directory names in the
// host's own order (opendirSync, which is what Python's os.scandir sees; readdirSync sorts).
import {
  closeSync,
  constants,
  lstatSync,
  openSync,
  opendirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  type Stats,
} from 'node:fs';
import type { HostFileKind, HostFs } from '../src/manifest/host-fs.js';

function kind(st: Stats | undefined): HostFileKind | undefined {
  if (!st) return undefined;
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return 'other';
}

export const nodeHostFs: HostFs = {
  lstat: (p) => kind(lstatSync(p, { throwIfNoEntry: false })),
  stat: (p) => kind(statSync(p, { throwIfNoEntry: false })),
  readdir(p) {
    const d = opendirSync(p);
    const names: string[] = [];
    try {
      for (let e = d.readSync(); e !== null; e = d.readSync()) names.push(e.name);
    } finally {
      d.closeSync();
    }
    return names;
  },
  readlink: (p) => readlinkSync(p),
  realpath(p) {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  },
  readFile(p, options = {}) {
    if (!options.noFollow) return new Uint8Array(readFileSync(p));
    // O_NOFOLLOW: a file that became a symlink since lstat said "file" is refused (ELOOP).
    const fd = openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return new Uint8Array(readFileSync(fd));
    } finally {
      closeSync(fd);
    }
  },
};

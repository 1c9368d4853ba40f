// The manifest tools' view of the host file system (@osv-ts/vfs/manifest's HostFs) over node:fs.
// Directory names come in the host's own order (opendirSync), which is what OSv's Python
// scripts see through os.scandir; image bytes match OSv's only with that order.
import { lstatSync, opendirSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import type { HostFileKind, HostFs } from '@osv-ts/vfs/manifest';

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
  readFile: (p) => new Uint8Array(readFileSync(p)),
};

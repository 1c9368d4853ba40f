// The bootfs as a path → entry map, for kernels without a VFS (the app is read straight from
// the archive the VMM placed in guest RAM; file data stays a view into guest RAM).
import { parseBootfs, type BootfsEntry } from '@osv-ts/vfs/bootfs';

export function bootfsByPath(image: Uint8Array): Map<string, BootfsEntry> {
  const out = new Map<string, BootfsEntry>();
  for (const e of parseBootfs(image)) out.set('/' + e.name.replace(/^\/+/, '').replace(/\/+$/, ''), e);
  return out;
}

export type { BootfsEntry };

// `osv mkfs rofs usr.manifest -o rootfs.img`: a file system image from a manifest, byte for byte
// what OSv's scripts/gen-rofs-img.py writes for the same tree (ZFS: `osv mkfs zfs`, when the zfs
// package's writer lands).
import { writeFileSync } from 'node:fs';
import { toRofsTree } from '@osv-ts/vfs/manifest';
import { writeRofsImage } from '@osv-ts/vfs/rofs-writer';
import { readManifest } from '../image/manifest-files.js';
import { nodeHostFs } from '../image/node-host-fs.js';
import { UsageError } from './run-options.js';

export const MKFS_USAGE = `usage: osv mkfs rofs MANIFEST -o IMAGE [-D NAME=VALUE]...

Writes an OSv ROFS image holding the files a usr.manifest names (host paths are relative to
the manifest's directory; -D defines %(NAME)s substitutions).
`;

export function mkfsCommand(argv: readonly string[]): number {
  const [type, ...rest] = argv;
  if (type === '-h' || type === '--help' || type === undefined) {
    process.stdout.write(MKFS_USAGE);
    return type === undefined ? 2 : 0;
  }
  if (type !== 'rofs') throw new UsageError(`mkfs: unsupported file system '${type}' (supported: rofs)`);
  let manifest: string | undefined;
  let output: string | undefined;
  const defines: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-o' || a === '--output') output = rest[++i];
    else if (a === '-D') {
      const d = rest[++i] ?? '';
      const eq = d.indexOf('=');
      if (eq <= 0) throw new UsageError(`mkfs: -D expects NAME=VALUE, got '${d}'`);
      defines[d.slice(0, eq)] = d.slice(eq + 1);
    } else if (a.startsWith('-')) throw new UsageError(`mkfs: unknown option '${a}'`);
    else if (manifest === undefined) manifest = a;
    else throw new UsageError(`mkfs: unexpected argument '${a}'`);
  }
  if (!manifest || !output) throw new UsageError('mkfs: need a MANIFEST and -o IMAGE');
  const image = writeRofsImage(toRofsTree(readManifest(manifest, defines), nodeHostFs));
  writeFileSync(output, image);
  process.stderr.write(`osv: wrote ${output}: rofs, ${image.length} bytes\n`);
  return 0;
}

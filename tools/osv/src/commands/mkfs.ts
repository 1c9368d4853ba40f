// `osv mkfs rofs usr.manifest -o rootfs.img`: a file system image from a manifest, byte for byte
// what OSv's scripts/gen-rofs-img.py writes for the same tree. `osv mkfs zfs … --pool osv`: a
// ZFS pool (one file vdev, SPA 23 / ZPL 4) holding the tree, which zfs-fuse imports.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { toRofsTree } from '@osv-ts/vfs/manifest';
import { writeRofsImage } from '@osv-ts/vfs/rofs-writer';
import { checkOutputPath, writeAtomically, yieldToEventLoop } from '../image/host-files.js';
import { readManifest, writingFrom } from '../image/manifest-files.js';
import { nodeHostFs } from '../image/node-host-fs.js';
import { checkPoolSize, parseCompression, writeZfsImage } from '../image/zfs-image.js';
import { UsageError } from '../cli-error.js';
import { memorySize } from './run-options.js';

export const MKFS_USAGE = `usage: osv mkfs rofs MANIFEST -o IMAGE [-D NAME=VALUE]...
       osv mkfs zfs MANIFEST -o IMAGE [--pool NAME] [--dataset NAME] [--size SIZE]
                    [--ashift 9|12] [--compression off|lzjb|zle|gzip-N] [-D NAME=VALUE]...

Writes a file system image holding the files a usr.manifest names (host paths are relative to
the manifest's directory; -D defines %(NAME)s substitutions).

rofs: OSv's read-only file system, as scripts/gen-rofs-img.py writes it.
zfs:  a ZFS pool on one file vdev (SPA version 23, ZPL 4, as zfs-fuse 0.7 makes them); the
      files go into the pool's root dataset, or into POOL/NAME with --dataset NAME. Default
      pool name osv, size: the files plus room to write (at least 64M), ashift 12, lzjb.
      zfs-fuse: zpool import -d DIR POOL.

The image is written to a temporary file beside IMAGE and renamed into place when complete:
an interrupted or failed mkfs leaves no partial image. -V prints the stack of an internal error.
`;

export interface MkfsOptions {
  type: 'rofs' | 'zfs';
  manifest: string;
  output: string;
  /** %(NAME)s substitutions of the manifest (-D). */
  defines: Record<string, string>;
  zfs: {
    pool: string;
    dataset: string | undefined;
    sizeBytes: number;
    sizeText: string;
    ashift: 9 | 12;
    compression: number;
  };
}

/** What mkfs wrote (also what `mkfs()` of @osv-ts/osv returns). */
export interface MkfsResult {
  readonly output: string;
  readonly type: 'rofs' | 'zfs';
  /** The image's length in bytes. */
  readonly imageBytes: number;
}

export async function mkfsCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(MKFS_USAGE);
    return 0;
  }
  await writeFileSystemImage(parseMkfsOptions(argv), (s) => void process.stderr.write(s));
  return 0;
}

export function parseMkfsOptions(argv: readonly string[]): MkfsOptions {
  const [type, ...rest] = argv;
  if (type === undefined)
    throw new UsageError('mkfs: no file system type given: osv mkfs rofs|zfs … (osv mkfs --help)');
  if (type !== 'rofs' && type !== 'zfs')
    throw new UsageError(`mkfs: unsupported file system '${type}' (supported: rofs, zfs)`);
  let manifest: string | undefined;
  let output: string | undefined;
  const defines: Record<string, string> = {};
  const zfs: MkfsOptions['zfs'] = {
    pool: 'osv',
    dataset: undefined,
    sizeBytes: 0,
    sizeText: '',
    ashift: 12,
    compression: parseCompression('lzjb'),
  };
  const value = (i: number, name: string): string => {
    const v = rest[i];
    if (v === undefined) throw new UsageError(`mkfs: ${name} needs a value`);
    return v;
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const zfsOnly = (): void => {
      if (type !== 'zfs') throw new UsageError(`mkfs: ${a} applies to zfs only`);
    };
    if (a === '-o' || a === '--output') output = value(++i, a);
    else if (a === '--pool') {
      zfsOnly();
      zfs.pool = value(++i, a);
      if (!/^[A-Za-z][A-Za-z0-9_.:-]*$/.test(zfs.pool))
        throw new UsageError(`mkfs: '${zfs.pool}' is not a valid pool name`);
    } else if (a === '--dataset') {
      zfsOnly();
      zfs.dataset = value(++i, a);
      if (!/^[A-Za-z0-9_.:-]+$/.test(zfs.dataset))
        throw new UsageError(`mkfs: '${zfs.dataset}' is not a valid dataset name (one component)`);
    } else if (a === '--size') {
      zfsOnly();
      zfs.sizeText = value(++i, a);
      zfs.sizeBytes = memorySize('mkfs: --size', zfs.sizeText);
    } else if (a === '--ashift') {
      zfsOnly();
      const v = value(++i, a);
      if (v !== '9' && v !== '12') throw new UsageError(`mkfs: --ashift ${v}: supported are 9 and 12`);
      zfs.ashift = Number(v) as 9 | 12;
    } else if (a === '--compression') {
      zfsOnly();
      zfs.compression = parseCompression(value(++i, a));
    } else if (a === '-D') {
      const d = rest[++i] ?? '';
      const eq = d.indexOf('=');
      if (eq <= 0) throw new UsageError(`mkfs: -D expects NAME=VALUE, got '${d}'`);
      defines[d.slice(0, eq)] = d.slice(eq + 1);
    } else if (a === '-V' || a === '--verbose') {
      // read by cli.ts: the stack of an internal error
    } else if (a.startsWith('-')) throw new UsageError(`mkfs: unknown option '${a}' (osv mkfs --help)`);
    else if (manifest === undefined) manifest = a;
    else throw new UsageError(`mkfs: unexpected argument '${a}'`);
  }
  if (!manifest || !output) throw new UsageError('mkfs: need a MANIFEST and -o IMAGE');
  return { type, manifest, output, defines, zfs };
}

/** Writes the image `o` asks for (parsed by parseMkfsOptions); `log` gets the one-line report. */
export async function writeFileSystemImage(o: MkfsOptions, log: (s: string) => void): Promise<MkfsResult> {
  const { type, manifest, output, zfs } = o;
  checkOutputPath(output, '-o');
  if (type === 'zfs' && zfs.sizeBytes > 0) checkPoolSize(zfs.sizeBytes, `mkfs: --size ${zfs.sizeText}`);
  const tree = toRofsTree(readManifest(manifest, o.defines), nodeHostFs);
  if (type === 'zfs') {
    const image = writingFrom(manifest, () =>
      writeZfsImage(tree, {
        ...zfs,
        path: `/${basename(output)}`,
        sizeOption: zfs.sizeText ? `mkfs: --size ${zfs.sizeText}` : 'mkfs: the pool',
      }),
    );
    await writeAtomically(output, '-o', (temp) => writeSparse(temp, image));
    log(
      `osv: wrote ${output}: zfs pool '${zfs.pool}'${zfs.dataset ? `, files in ${zfs.pool}/${zfs.dataset}` : ''}, ${image.length} bytes\n`,
    );
    return { output, type, imageBytes: image.length };
  }
  const image = writingFrom(manifest, () => writeRofsImage(tree));
  await writeAtomically(output, '-o', (temp) => writeSparse(temp, image));
  log(`osv: wrote ${output}: rofs, ${image.length} bytes\n`);
  return { output, type, imageBytes: image.length };
}

/**
 * Writes `image` skipping all-zero MiBs (a new file reads zero there): pools are mostly empty.
 * Yields between MiBs so that Ctrl-C can remove the half-written file.
 */
async function writeSparse(path: string, image: Uint8Array): Promise<void> {
  const fd = openSync(path, 'w');
  try {
    const MIB = 1024 * 1024;
    for (let at = 0; at < image.length; at += MIB) {
      const chunk = image.subarray(at, Math.min(image.length, at + MIB));
      if (chunk.some((b) => b !== 0))
        for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done, chunk.length - done, at + done);
      await yieldToEventLoop();
    }
    ftruncateSync(fd, image.length);
  } finally {
    closeSync(fd);
  }
}

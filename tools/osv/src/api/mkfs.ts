// mkfs(): `osv mkfs` for programs — a ROFS or ZFS image from a usr.manifest, checked by the CLI's
// own parser (a mistake is the UsageError `osv mkfs` prints).
import { parseMkfsOptions, writeFileSystemImage, type MkfsResult } from '../commands/mkfs.js';

export type { MkfsResult };

export interface MkfsRequest {
  type: 'rofs' | 'zfs';
  manifest: string;
  output: string;
  /** %(NAME)s substitutions in the manifest (`-D NAME=VALUE`). */
  defines?: Readonly<Record<string, string>>;
  /** zfs: the pool's name (default osv). */
  pool?: string;
  /** zfs: put the files into POOL/NAME instead of the root dataset. */
  dataset?: string;
  /** zfs: the pool's size, bytes or e.g. `64M` (default the files plus room to write). */
  size?: number | string;
  ashift?: 9 | 12;
  /** zfs: off, lzjb (default), zle, gzip-N. */
  compression?: string;
  /** Gets the line `osv mkfs` prints (default: nothing is printed). */
  log?: (text: string) => void;
}

/** The CLI words for `request`: what `osv mkfs` would be given. */
export function mkfsArguments(request: MkfsRequest): string[] {
  const argv: string[] = [request.type, request.manifest, '-o', request.output];
  const option = (name: string, value: string | number | undefined): void => {
    if (value !== undefined) argv.push(name, String(value));
  };
  option('--pool', request.pool);
  option('--dataset', request.dataset);
  option('--size', typeof request.size === 'number' ? `${request.size}B` : request.size); // bare: MiB
  option('--ashift', request.ashift);
  option('--compression', request.compression);
  for (const [name, value] of Object.entries(request.defines ?? {})) argv.push('-D', `${name}=${value}`);
  return argv;
}

/** Writes the file system image and returns its size. Throws UsageError or CliError. */
export async function mkfs(request: MkfsRequest): Promise<MkfsResult> {
  return writeFileSystemImage(parseMkfsOptions(mkfsArguments(request)), request.log ?? (() => {}));
}

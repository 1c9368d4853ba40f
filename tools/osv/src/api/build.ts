// build(): `osv build` for programs — an image builder that composes kernels without shelling
// out to the CLI. The request names the CLI's options; it is checked by the same parser, so a
// mistake is the same UsageError (with the option's CLI name) that `osv build` prints.
import { buildImage, parseBuildOptions, type BuildResult } from '../commands/build.js';

export type { BuildResult };

export interface BuildRequest {
  /** The app (host path of a .wasm), put at /NAME in the image (`--app`). */
  app?: string;
  /** An OSv usr.manifest (`--manifest`). */
  manifest?: string;
  /** The image file, or a vm-browser site's directory (`-o`). */
  output: string;
  /** vm-browser: the disk image the site boots (`-i`). */
  image?: string;
  fs?: 'rofs' | 'zfs' | 'ramfs';
  format?: 'raw' | 'qcow2';
  /** The image's default command line (`--kernel-cmdline`). */
  cmdline?: string;
  /** Minimum size of the fs partition: bytes, or a size such as `64M` (`--fs-size`). */
  fsSize?: number | string;
  /** zfs: off, lzjb, zle, gzip-N. */
  compression?: string;
  /** A hypervisor profile's name or file (default vm-node). */
  profile?: string;
  /** Link the network stack and virtio-net even when the app imports no sockets (`-n`). */
  networking?: boolean;
  /** Link virtio-fs, for `osv run -i IMAGE --share` (`--virtio-fs`). */
  virtioFs?: boolean;
  /** Link OSv's REST API (`--api`), or its read-only build (`'monitoring'`: `--api-monitoring`). */
  api?: boolean | 'monitoring';
  /** Gets the report `osv build` prints (default: nothing is printed). */
  log?: (text: string) => void;
}

/** The CLI words for `request`: what `osv build` would be given. */
export function buildArguments(request: BuildRequest): string[] {
  const argv: string[] = [];
  const option = (name: string, value: string | number | undefined): void => {
    if (value !== undefined) argv.push(name, String(value));
  };
  option('--app', request.app);
  option('--manifest', request.manifest);
  option('-o', request.output);
  option('-i', request.image);
  option('--fs', request.fs);
  option('--format', request.format);
  option('--kernel-cmdline', request.cmdline);
  option('--fs-size', request.fsSize);
  option('--compression', request.compression);
  option('--profile', request.profile);
  if (request.networking) argv.push('--networking');
  if (request.virtioFs) argv.push('--virtio-fs');
  if (request.api) argv.push(request.api === 'monitoring' ? '--api-monitoring' : '--api');
  return argv;
}

/** Writes the image (or site) and returns what it holds. Throws UsageError or CliError. */
export async function build(request: BuildRequest): Promise<BuildResult> {
  return buildImage(parseBuildOptions(buildArguments(request)), request.log ?? (() => {}));
}

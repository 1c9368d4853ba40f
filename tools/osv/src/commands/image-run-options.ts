// The words of `osv run` that boot a disk image (-i IMAGE), and which words are osv's own:
// light on purpose (no VMM, no kernel), since every `osv run` reads them before it knows what to
// load.
import { UsageError } from '../cli-error.js';

export const IMAGE_RUN_USAGE = `
disk images (osv build writes them):
  -i, --image IMAGE      boot IMAGE (raw or qcow2): the kernel its boot partition names, composed
                         from the installed packages (an image whose kernel they cannot
                         reproduce is refused), its command line (-e replaces it), the image
                         as virtio-blk vblk0; --share HOSTDIR:/guest needs an image built with
                         --virtio-fs (under a ROFS root, mount it below /tmp)
`;

/** `osv run` options that take no value (every other option's next word is its value). */
const FLAGS = new Set([
  '-V',
  '--verbose',
  '-d',
  '--debug',
  '--dry-run',
  '--bootchart',
  '-h',
  '--help',
  '-n',
  '--networking',
  '-v',
  '--vhost',
]);

/** The words of `osv run` argv that are osv's own (options and their values), before the app. */
export function runOptionWords(argv: readonly string[]): string[] {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const prev = argv[i - 1];
    const isOptionValue = prev !== undefined && prev.startsWith('-') && !prev.includes('=') && !FLAGS.has(prev);
    if (!a.startsWith('-') && !isOptionValue) return argv.slice(0, i);
  }
  return [...argv];
}

/** Splits `-i IMAGE` / `--image IMAGE` / `--image=IMAGE` out of `osv run` options (before the app). */
export function takeImageOption(argv: readonly string[]): { image: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let image: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (image === undefined && (a === '-i' || a === '--image')) {
      image = argv[++i];
      if (image === undefined) throw new UsageError(`option ${a} needs a value`);
      continue;
    }
    if (image === undefined && a.startsWith('--image=')) {
      image = a.slice('--image='.length);
      continue;
    }
    rest.push(a);
    const prev = argv[i - 1];
    const isOptionValue = prev !== undefined && prev.startsWith('-') && !prev.includes('=') && !FLAGS.has(prev);
    if (!a.startsWith('-') && !isOptionValue) {
      rest.push(...argv.slice(i + 1)); // the app and its own arguments are not ours
      break;
    }
  }
  return { image, rest };
}

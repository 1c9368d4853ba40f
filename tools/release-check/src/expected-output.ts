// Comparing what a README shows with what a command printed (CONTRIBUTING.md, "READMEs are
// run"). Both sides are normalised first: figures that differ from run to run (timings,
// content hashes, kernel sizes, whether a kernel came from the cache) become placeholders. In
// the shown output `…` (or `...`) stands for any text within a line, and a line holding only
// `…` for any number of lines.

const NORMALISE: readonly [RegExp, string][] = [
  // Timings: "Booted up in 54.10 ms", "37.34ms, (+1.37ms)", "399 µs".
  [/\d+(?:\.\d+)?\s?(?:ms|µs)(?![A-Za-z])/g, '<time>'],
  // Hashes: 8 or more hexadecimal digits with at least one letter (kernel and sha256 prefixes).
  [/\b(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/g, '<hash>'],
  // Sizes in KiB: kernel bundles change size with every change to the packages.
  [/\d+(?:\.\d+)? KiB/g, '<size> KiB'],
  // Whether osv found the kernel in its cache depends on what ran before.
  [/, cached\)/g, ')'],
];

export function normalise(line: string): string {
  let out = line.replace(/\s+$/, '');
  for (const [pattern, placeholder] of NORMALISE) out = out.replace(pattern, placeholder);
  return out;
}

const ANY_LINES = /^\s*(?:…|\.\.\.)\s*$/;

function linePattern(expected: string): RegExp {
  const parts = normalise(expected).split(/…|\.\.\./);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export interface OutputMatch {
  readonly ok: boolean;
  /** Shown and actual output side by side, for a failure message. */
  readonly report: string;
}

/** What a command printed: one stream, or stdout and stderr apart. */
export type Printed = string | { readonly stdout: string; readonly stderr: string };

function lines(text: string): string[] {
  const out = text.replace(/\r\n/g, '\n').split('\n');
  while (out.length > 0 && out.at(-1)!.trim() === '') out.pop();
  return out;
}

/**
 * Whether `printed` is the output `expected` shows. A terminal shows stdout and stderr
 * interleaved, and how they interleave depends on timing (a guest's two consoles are two
 * devices), so with the streams apart the shown lines must be some interleaving of the two that
 * keeps each stream's own order. With `prefix`, the shown lines need only begin the output (a
 * background command's output so far).
 */
export function matchOutput(
  expected: readonly string[],
  printed: Printed,
  options: { prefix?: boolean } = {},
): OutputMatch {
  const streams = typeof printed === 'string' ? { stdout: printed, stderr: '' } : printed;
  const a = lines(streams.stdout);
  const b = lines(streams.stderr);
  const want = [...expected];
  while (want.length > 0 && want.at(-1)!.trim() === '') want.pop();
  const patterns = want.map((w) => (ANY_LINES.test(w) ? undefined : linePattern(w)));
  const na = a.map(normalise);
  const nb = b.map(normalise);
  // matches(i, j, k): shown lines from i match stdout from j and stderr from k (memoised).
  const memo = new Map<number, boolean>();
  const matches = (i: number, j: number, k: number): boolean => {
    const key = (i * (na.length + 1) + j) * (nb.length + 1) + k;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    const p = patterns[i];
    if (i === patterns.length) result = options.prefix === true || (j === na.length && k === nb.length);
    else if (p === undefined)
      result =
        matches(i + 1, j, k) || (j < na.length && matches(i, j + 1, k)) || (k < nb.length && matches(i, j, k + 1));
    else
      result =
        (j < na.length && p.test(na[j]!) && matches(i + 1, j + 1, k)) ||
        (k < nb.length && p.test(nb[k]!) && matches(i + 1, j, k + 1));
    memo.set(key, result);
    return result;
  };
  const ok = matches(0, 0, 0);
  const shown = b.length > 0 ? `${a.join('\n')}\n--- printed on stderr\n${b.join('\n')}` : a.join('\n');
  return {
    ok,
    report: ok ? '' : `--- shown in the README\n${want.join('\n')}\n--- printed\n${shown}\n---`,
  };
}

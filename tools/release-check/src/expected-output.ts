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

/**
 * Whether `actual` is the output `expected` shows. With `prefix`, the shown lines need only begin
 * the actual output (a background command's output so far).
 */
export function matchOutput(
  expected: readonly string[],
  actual: string,
  options: { prefix?: boolean } = {},
): OutputMatch {
  const got = actual.replace(/\r\n/g, '\n').split('\n');
  while (got.length > 0 && got.at(-1)!.trim() === '') got.pop();
  const want = [...expected];
  while (want.length > 0 && want.at(-1)!.trim() === '') want.pop();
  const patterns = want.map((w) => (ANY_LINES.test(w) ? undefined : linePattern(w)));
  const lines = got.map(normalise);
  // matches(i, j): shown lines from i match actual lines from j (memoised; `…` lines backtrack).
  const memo = new Map<number, boolean>();
  const matches = (i: number, j: number): boolean => {
    const key = i * (lines.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === patterns.length) result = options.prefix === true || j === lines.length;
    else {
      const p = patterns[i];
      if (p === undefined) {
        result = false;
        for (let k = j; k <= lines.length && !result; k++) result = matches(i + 1, k);
      } else result = j < lines.length && p.test(lines[j]!) && matches(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  const ok = matches(0, 0);
  return {
    ok,
    report: ok ? '' : `--- shown in the README\n${want.join('\n')}\n--- printed\n${got.join('\n')}\n---`,
  };
}

// OSv's --trace=<pattern> (loader.cc, core/trace.cc): a tracepoint is enabled when its whole
// name matches a glob in which `*` is any run of characters and `?` is one character. Several
// patterns may be given separated by commas, as `--trace=sched*,timer_?ired`.

/** The RegExp a single OSv trace glob denotes (anchored: the whole name must match). */
export function tracePatternToRegExp(pattern: string): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^(?:${source})$`);
}

/** True when `name` matches any of the comma-separated globs in `patterns`. */
export function matchesTracePattern(name: string, patterns: string): boolean {
  return patterns
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .some((p) => tracePatternToRegExp(p).test(name));
}

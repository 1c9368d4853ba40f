// Splits an OSv command line into loader options and the application command line
// (OSv core/commands.cc loader_parse_cmdline): leading whitespace-separated tokens that start
// with '-' are loader options; the first token that does not ends them, and the rest of the
// string, unmodified, is the app command line. A backslash escapes a delimiter inside an option.

export function splitLoaderCommandLine(cmdline: string): { options: string[]; appCommandLine: string } {
  const options: string[] = [];
  let i = 0;
  const n = cmdline.length;
  const isDelim = (c: string): boolean => c === ' ' || c === '\t' || c === '\n';
  for (;;) {
    while (i < n && isDelim(cmdline[i]!)) i++;
    if (i >= n || cmdline[i] !== '-') break;
    let token = '';
    while (i < n && !isDelim(cmdline[i]!)) {
      if (cmdline[i] === '\\' && i + 1 < n) {
        token += cmdline[i + 1];
        i += 2;
      } else {
        token += cmdline[i++];
      }
    }
    options.push(token);
  }
  return { options, appCommandLine: cmdline.slice(i) };
}

// Splitting a command line into words as OSv's CLI does (modules/cli): single-quoted ('\'' as
// \'), double-quoted (\" inside), or bare words, separated by spaces and tabs.

export class ShellSyntaxError extends Error {
  override readonly name = 'ShellSyntaxError';
}

export function shellWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      const c = line[i]!;
      if (c === "'" || c === '"') {
        let j = i + 1;
        for (; j < line.length && line[j] !== c; j++) {
          if (line[j] === '\\' && line[j + 1] === c) j++;
          word += line[j];
        }
        if (j >= line.length) throw new ShellSyntaxError(`unterminated ${c === '"' ? 'double' : 'single'} quote`);
        i = j + 1;
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

// The words of a command's options, as osv build and osv link read them: `--name value`,
// `--name=value` and flags, in order. Each word comes with a reader for its value (the inline
// `=value`, or else the next word, which it consumes).
import { UsageError } from '../cli-error.js';

export interface OptionWord {
  /** The option's name (`--fs` of `--fs=zfs`), or the word itself. */
  readonly arg: string;
  /** The word as given. */
  readonly word: string;
  /** The option's value; a missing one is a UsageError naming the option. */
  readonly value: () => string;
}

export function* optionWords(argv: readonly string[]): Generator<OptionWord> {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const arg = eq >= 0 ? word.slice(0, eq) : word;
    const inline = eq >= 0 ? word.slice(eq + 1) : undefined;
    yield {
      arg,
      word,
      value: () => {
        if (inline !== undefined) return inline;
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`option ${arg} needs a value`);
        return v;
      },
    };
  }
}

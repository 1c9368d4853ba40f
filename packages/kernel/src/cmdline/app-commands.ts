// The application command line (OSv core/commands.cc): commands of words separated by
// terminators `;` `&!` `&` `!` (or end of input), words bare or double-quoted with escapes,
// and one `$VAR` expansion per word.
import { CommandLineError } from './mmio-device-tokens.js';

export type Terminator = ';' | '&' | '&!' | '!' | '';

export interface AppCommand {
  readonly argv: string[];
  /** The program file to load; argv[0] when absent (runWasm's callers name argv[0] freely). */
  readonly path?: string;
  /** `;`/`` foreground, `&` background, `&!` detached background, `!` foreground that ends the others. */
  readonly terminator: Terminator;
}

const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

export function parseAppCommands(text: string, env: ReadonlyMap<string, string> = new Map()): AppCommand[] {
  const commands: AppCommand[] = [];
  let argv: string[] = [];
  let i = 0;
  const n = text.length;
  const finish = (terminator: Terminator): void => {
    if (argv.length > 0) commands.push({ argv, terminator });
    argv = [];
  };
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === ';') {
      finish(';');
      i++;
    } else if (c === '&') {
      if (text[i + 1] === '!') {
        finish('&!');
        i += 2;
      } else {
        finish('&');
        i++;
      }
    } else if (c === '!') {
      finish('!');
      i++;
    } else {
      let word = '';
      if (c === '"') {
        const opened = i;
        i++;
        let closed = false;
        while (i < n) {
          const d = text[i]!;
          if (d === '"') {
            closed = true;
            i++;
            break;
          }
          if (d === '\\' && i + 1 < n && ESCAPES[text[i + 1]!] !== undefined) {
            word += ESCAPES[text[i + 1]!];
            i += 2;
          } else {
            word += d;
            i++;
          }
        }
        if (!closed)
          throw new CommandLineError(
            `unterminated quoted string at offset ${opened} of the command line: ${text.slice(opened)}`,
            opened,
          );
      } else {
        while (i < n && !' \t\n\r;&!'.includes(text[i]!)) {
          const d = text[i]!;
          if (d === '\\' && i + 1 < n && ESCAPES[text[i + 1]!] !== undefined) {
            word += ESCAPES[text[i + 1]!];
            i += 2;
          } else {
            word += d;
            i++;
          }
        }
      }
      argv.push(expandVariable(word, env));
    }
  }
  finish('');
  return commands;
}

/** OSv's expansion: everything after the first `$` is a variable name (unset → empty). */
function expandVariable(word: string, env: ReadonlyMap<string, string>): string {
  const at = word.indexOf('$');
  if (at < 0 || at === word.length - 1) return word;
  return word.slice(0, at) + (env.get(word.slice(at + 1)) ?? '');
}

// `osv shell` with no command: a prompt with line editing, history (kept between sessions) and
// completion of command names, as OSv's CLI gives with editline. Ctrl-C abandons the line or
// stops a running top; Ctrl-D or `exit` leaves.
import { appendFileSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SHELL_COMMANDS, runShellLine } from './shell-commands.js';
import type { ShellContext } from './shell-context.js';

const HISTORY_LINES = 1000;

export interface InteractiveOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** File the history is read from and appended to; none: history lasts the session. */
  readonly historyFile?: string;
  readonly terminal: boolean;
}

/** Completes the first word to command names; later words are left alone. */
export function completeCommand(line: string): [string[], string] {
  if (/\s/.test(line.trimStart())) return [[], line];
  const word = line.trimStart();
  const hits = [...SHELL_COMMANDS.keys()].filter((n) => n.startsWith(word));
  return [hits.length > 0 ? hits : [], word];
}

function readHistory(file: string | undefined): string[] {
  if (file === undefined) return [];
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-HISTORY_LINES).reverse();
  } catch {
    return [];
  }
}

/**
 * Runs the prompt until Ctrl-D or `exit`; returns the last command's status. Ctrl-C while a
 * command runs sets `interrupt` (ctx.interrupted() reads it).
 */
export async function interactiveShell(
  ctx: ShellContext,
  interrupt: { set: boolean },
  o: InteractiveOptions,
): Promise<number> {
  const rl = createInterface({
    input: o.input,
    output: o.output,
    terminal: o.terminal,
    history: readHistory(o.historyFile),
    historySize: HISTORY_LINES,
    removeHistoryDuplicates: true,
    completer: completeCommand,
  });
  let status = 0;
  let running = false;
  rl.on('SIGINT', () => {
    if (running) interrupt.set = true;
    else {
      rl.write(null, { ctrl: true, name: 'u' });
      o.output.write('^C\n');
      rl.prompt();
    }
  });
  const prompt = (): void => {
    rl.setPrompt(`${ctx.cwd}# `);
    rl.prompt();
  };
  const lines = rl[Symbol.asyncIterator]();
  prompt();
  for (;;) {
    const next = await lines.next();
    if (next.done) break;
    const line = next.value;
    if (line.trim() !== '' && o.historyFile !== undefined) {
      try {
        appendFileSync(o.historyFile, `${line}\n`);
      } catch {
        // history is a convenience: an unwritable file costs only the history
      }
    }
    if (line.trim() === 'exit') break;
    running = true;
    interrupt.set = false;
    rl.pause();
    status = await runShellLine(line, ctx);
    running = false;
    rl.resume();
    prompt();
  }
  rl.close();
  if (o.terminal) o.output.write('\n');
  return status;
}

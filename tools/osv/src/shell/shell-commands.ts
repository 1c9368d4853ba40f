// The commands `osv shell` knows (OSv's modules/cli commands), and running one command line.
import { ApiError, ApiUnreachableError } from './api-client.js';
import { apiCommand } from './api-command.js';
import { FILE_COMMANDS } from './file-commands.js';
import { ShellCommandError, type ShellCommand, type ShellContext } from './shell-context.js';
import { ShellSyntaxError, shellWords } from './shell-words.js';
import { SYSTEM_COMMANDS } from './system-commands.js';

const echo: ShellCommand = {
  name: 'echo',
  desc: 'display a line of text',
  usage: 'Usage: echo [STRING]...\n',
  run(args, ctx) {
    ctx.out(`${args.join(' ')}\n`);
    return Promise.resolve(0);
  },
};

/** `exit` is the interactive loop's to act on; one-shot, it does nothing. */
const exit: ShellCommand = {
  name: 'exit',
  desc: 'leave the shell',
  usage: 'Usage: exit\n',
  run: () => Promise.resolve(0),
};

const help: ShellCommand = {
  name: 'help',
  desc: 'list the commands, or show one command’s usage',
  usage: 'Usage: help [COMMAND]\n',
  run(args, ctx) {
    if (args[0] !== undefined) {
      const c = SHELL_COMMANDS.get(args[0]);
      if (!c) throw new ShellCommandError(`no command '${args[0]}' (help lists them)`, 2);
      ctx.out(c.usage);
      return Promise.resolve(0);
    }
    const width = Math.max(...[...SHELL_COMMANDS.keys()].map((n) => n.length));
    ctx.out([...SHELL_COMMANDS.values()].map((c) => `${c.name.padEnd(width)}  ${c.desc}\n`).join(''));
    return Promise.resolve(0);
  },
};

export const SHELL_COMMANDS: ReadonlyMap<string, ShellCommand> = new Map(
  [apiCommand, echo, exit, help, ...FILE_COMMANDS, ...SYSTEM_COMMANDS]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((c) => [c.name, c]),
);

/**
 * Runs one command (its words); every failure is one line on ctx.err. Returns the exit status:
 * 0, 1 for a failure, 2 for a usage mistake, 127 for an unknown command.
 */
export async function runShellCommand(words: readonly string[], ctx: ShellContext): Promise<number> {
  const [name, ...args] = words;
  if (name === undefined) return 0;
  const command = SHELL_COMMANDS.get(name);
  if (!command) {
    ctx.err(`${name}: command not found (help lists the commands)\n`);
    return 127;
  }
  if (args.includes('--help')) {
    ctx.out(command.usage);
    return 0;
  }
  try {
    return await command.run(args, ctx);
  } catch (e) {
    if (e instanceof ShellCommandError) {
      ctx.err(`${name}: ${e.message}\n`);
      return e.status;
    }
    if (e instanceof ApiError) {
      ctx.err(`${name}: ${e.message} (HTTP ${e.status})\n`);
      return 1;
    }
    if (e instanceof ApiUnreachableError) {
      ctx.err(`${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** Splits and runs one line as typed; a quoting mistake is one line and status 2. */
export async function runShellLine(line: string, ctx: ShellContext): Promise<number> {
  let words: string[];
  try {
    words = shellWords(line);
  } catch (e) {
    if (!(e instanceof ShellSyntaxError)) throw e;
    ctx.err(`osv shell: ${e.message}\n`);
    return 2;
  }
  return runShellCommand(words, ctx);
}

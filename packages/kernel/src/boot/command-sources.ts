// Where OSv's commands come from besides the command line (core/commands.cc, loader.cc
// do_main_thread): the files of /init, run first in name order unless --noinit, and
// `runscript FILE` commands, replaced by the commands FILE holds, one or more per line, each
// line led by optional --env=KEY=VALUE / --env=KEY?=VALUE settings.
import { parseAppCommands, type AppCommand } from '../cmdline/app-commands.js';
import { CommandLineError } from '../cmdline/mmio-device-tokens.js';

export interface CommandFiles {
  /** A file's text, or undefined when it cannot be read. */
  readText(path: string): string | undefined;
  /** Names in a directory (without . and ..), or undefined when it is not one. */
  list(path: string): string[] | undefined;
}

/** The commands of every /init file, sorted by name, parsed with the command-line syntax. */
export function initCommands(files: CommandFiles, env: ReadonlyMap<string, string>): AppCommand[] {
  const names = files.list('/init');
  if (!names) return [];
  const out: AppCommand[] = [];
  for (const name of [...names].sort()) {
    const text = files.readText(`/init/${name}`);
    if (text !== undefined) out.push(...parseAppCommands(text, env));
  }
  return out;
}

/** Replaces each `runscript FILE` command by FILE's commands (recursively, depth-limited). */
export function expandRunscripts(
  commands: readonly AppCommand[],
  files: CommandFiles,
  env: Map<string, string>,
  depth = 0,
): AppCommand[] {
  const out: AppCommand[] = [];
  for (const cmd of commands) {
    if (cmd.argv[0] !== 'runscript') {
      out.push(cmd);
      continue;
    }
    if (cmd.argv.length !== 2) throw new CommandLineError('runscript: needs exactly one argument, the script file');
    if (depth >= 8) throw new CommandLineError(`runscript ${cmd.argv[1]}: scripts nested too deep`);
    const text = files.readText(cmd.argv[1]!);
    if (text === undefined) throw new CommandLineError(`runscript: cannot read ${cmd.argv[1]}`);
    for (const line of text.split('\n')) {
      const rest = applyLeadingEnv(line, env);
      out.push(...expandRunscripts(parseAppCommands(rest, env), files, env, depth + 1));
    }
  }
  return out;
}

/** Applies a line's leading --env options to `env` and returns the rest of the line. */
function applyLeadingEnv(line: string, env: Map<string, string>): string {
  let rest = line.trimStart();
  for (;;) {
    const m = /^(\S+)(\s+|$)/.exec(rest);
    if (!m || !m[1]!.startsWith('-')) return rest;
    const opt = m[1]!;
    const setting = /^--env=([^=?]+)(\?)?=(.*)$/.exec(opt);
    if (!setting)
      throw new CommandLineError(
        `runscript: unknown option '${opt}' (only --env=KEY=VALUE and --env=KEY?=VALUE lead a line)`,
      );
    const [, key, ifUnset, value] = setting;
    if (!ifUnset || !env.has(key!)) env.set(key!, value!);
    rest = rest.slice(m[0].length);
  }
}

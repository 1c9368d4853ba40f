import { describe, expect, it } from 'vitest';
import { parseAppCommands } from '../cmdline/app-commands.js';
import { CommandLineError } from '../cmdline/mmio-device-tokens.js';
import { expandRunscripts, initCommands, type CommandFiles } from './command-sources.js';

function files(tree: Record<string, string>): CommandFiles {
  return {
    readText: (p) => tree[p],
    list: (p) => {
      const names = Object.keys(tree)
        .filter((k) => k.startsWith(`${p}/`))
        .map((k) => k.slice(p.length + 1));
      return names.length ? names : undefined;
    },
  };
}

describe('initCommands', () => {
  it('runs every /init file in name order, with the command-line syntax', () => {
    const fs = files({ '/init/30-b': '/b.wasm 2 ; /c.wasm', '/init/10-a': '/a.wasm "x y"', '/etc/other': '/no.wasm' });
    expect(initCommands(fs, new Map()).map((c) => c.argv)).toEqual([['/a.wasm', 'x y'], ['/b.wasm', '2'], ['/c.wasm']]);
    expect(initCommands(files({}), new Map())).toEqual([]);
  });
});

describe('expandRunscripts', () => {
  it('replaces runscript FILE by its commands, applying leading --env options per line', () => {
    const fs = files({ '/s': '--env=A=1 --env=B?=2 /x.wasm $A\n/y.wasm $B ; /z.wasm\n\n--env=A=3 /w.wasm $A\n' });
    const env = new Map([['B', 'kept']]);
    const out = expandRunscripts(parseAppCommands('/first.wasm ; runscript /s ; /last.wasm'), fs, env);
    expect(out.map((c) => c.argv)).toEqual([
      ['/first.wasm'],
      ['/x.wasm', '1'],
      ['/y.wasm', 'kept'],
      ['/z.wasm'],
      ['/w.wasm', '3'],
      ['/last.wasm'],
    ]);
    expect(env.get('A')).toBe('3');
  });

  it('refuses a missing script, a wrong argument count, other leading options and endless nesting', () => {
    const fs = files({ '/bad': '-v /x.wasm', '/loop': 'runscript /loop' });
    const expand = (line: string) => () => expandRunscripts(parseAppCommands(line), fs, new Map());
    expect(expand('runscript /missing')).toThrow(/cannot read \/missing/);
    expect(expand('runscript')).toThrow(/exactly one argument/);
    expect(expand('runscript /bad')).toThrow(/unknown option '-v'/);
    expect(expand('runscript /loop')).toThrow(CommandLineError);
  });
});

/// <reference types="node" />
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { abiRequirements } from './abi-requirements.js';
import { abiCheckCommand } from '../commands/abi-check.js';

const LS = '/usr/bin/ls';
const runnable = existsSync(LS) && spawnSync('readelf', ['--version']).status === 0;

/** readelf's undefined .dynsym entries of a file with a GLIBC_ version: "name@GLIBC_x". */
function readelfGlibcUndefined(path: string): string[] {
  const text = spawnSync('readelf', ['-W', '--dyn-syms', path], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^ *\d+: [0-9a-f]{16} +\S+ +\S+ +\S+ +\S+ +UND (\S+@GLIBC_[^ ]+)/.exec(line);
    if (m !== null) out.push(m[1]!);
  }
  return out.sort();
}

describe.skipIf(!runnable)('abiRequirements', () => {
  it("finds ls's NEEDED closure and the libc symbols it needs, as readelf lists them, bound to libc.so.6", () => {
    const req = abiRequirements(LS);
    expect(req.interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
    expect(req.missing).toEqual([]);
    const names = req.closure.slice(1).map((o) => o.name);
    expect(names.slice(0, 2)).toEqual(['libselinux.so.1', 'libc.so.6']); // ls's own NEEDED, in order
    expect(names).toContain('libpcre2-8.so.0'); // libselinux's
    const mine = req.libcSymbols.filter((s) => s.neededBy.includes(LS));
    expect(mine.map((s) => `${s.name}@${s.version}`).sort()).toEqual(readelfGlibcUndefined(LS));
    expect(mine.filter((s) => s.boundTo !== 'libc.so.6').map((s) => s.name)).toEqual([]);
  });

  it('osv abi-check prints the closure and the symbols, and --json the same as JSON', () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      expect(abiCheckCommand([LS])).toBe(0);
      expect(abiCheckCommand([LS, '--json'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(out[0]).toMatch(
      /^\/usr\/bin\/ls: x86-64, interpreter \/lib64\/ld-linux-x86-64.so.2\nNEEDED closure \(\d+\):\n {2}libselinux.so.1 => \/(usr\/)?lib\/x86_64-linux-gnu\/libselinux.so.1 {2}\(needed by \/usr\/bin\/ls\)\n/,
    );
    expect(out[0]).toMatch(/\n {2}libc.so.6 GLIBC_2.2.5: .*\bopendir\b/);
    const json = JSON.parse(out[1]!) as { libcSymbols: { name: string }[] };
    expect(json.libcSymbols.some((s) => s.name === 'opendir')).toBe(true);
  });
});

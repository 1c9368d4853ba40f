// `osv --version`, `--help`/`-h` on every command and sub-command, and `osv help CMD`: help goes
// to stdout with status 0; a missing or unknown command is one line and status 2.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { osv } from './osv-cli.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('osv basics', () => {
  it('--version prints the package version', () => {
    const r = osv(['--version']);
    expect(r.stdout.toString()).toBe(`osv ${pkg.version}\n`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each([
    [['--help'], /^usage: osv \[-V\] <command>/],
    [['-h'], /^usage: osv \[-V\] <command>/],
    [['help'], /^usage: osv \[-V\] <command>/],
    [['run', '--help'], /^usage: osv run \[options\]/],
    [['run', '-h'], /^usage: osv run \[options\]/],
    [['build', '--help'], /^usage: osv build \[APP\.wasm\] \[options\] -o IMAGE/],
    [['build', '-h'], /^usage: osv build \[APP\.wasm\] \[options\] -o IMAGE/],
    [['mkfs', '--help'], /^usage: osv mkfs rofs MANIFEST/],
    [['mkfs', 'rofs', '--help'], /^usage: osv mkfs rofs MANIFEST/],
    [['mkfs', 'zfs', '-h'], /^usage: osv mkfs rofs MANIFEST/],
    [['mkfs', 'zfs', 'usr.manifest', '--help'], /^usage: osv mkfs rofs MANIFEST/],
  ])('osv %j prints its help on stdout with status 0', (args, usage) => {
    const r = osv(args);
    expect(r.stdout.toString()).toMatch(usage);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('osv help CMD prints what CMD --help prints', () => {
    for (const cmd of ['run', 'build', 'mkfs', 'link', 'profiles', 'serve']) {
      const help = osv(['help', cmd]);
      expect(help.status).toBe(0);
      expect(help.stdout.toString()).toBe(osv([cmd, '--help']).stdout.toString());
    }
  });

  it('a missing or unknown command is one line and status 2', () => {
    for (const [args, line] of [
      [[], 'osv: no command given (osv --help lists the commands)\n'],
      [
        ['frobnicate'],
        "osv: unknown command 'frobnicate' (commands: run, build, mkfs, link, profiles, serve, shell, trace, abi-check; osv --help)\n",
      ],
      [['--frobnicate'], "osv: unknown option '--frobnicate' (osv --help lists the commands)\n"],
      [
        ['help', 'frobnicate'],
        "osv: help: unknown command 'frobnicate' (commands: run, build, mkfs, link, profiles, serve, shell, trace, abi-check)\n",
      ],
      [['mkfs'], 'osv: mkfs: no file system type given: osv mkfs rofs|zfs … (osv mkfs --help)\n'],
    ] as const) {
      const r = osv([...args]);
      expect(r.stderr).toBe(line);
      expect(r.stdout.toString()).toBe('');
      expect(r.status).toBe(2);
    }
  });
});

// Every console session in the root README and the packages' READMEs runs from the repository
// root and prints what the README shows (CONTRIBUTING.md, "READMEs are run"). A README's
// blocks share one session, in order. Sessions that drive zpool get Debian's zfs-fuse daemon
// for their duration (through @osv-ts/test-support, which serialises its users).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZfsFuse } from '@osv-ts/test-support';
import { describe, expect, it } from 'vitest';
import { ConsoleSession } from '../src/console-session.js';
import { matchOutput } from '../src/expected-output.js';
import { consoleCommands, fencedBlocks, jsExamples } from '../src/readme-blocks.js';
import { readmes, REPO_ROOT } from '../src/workspace.js';

const sessions = readmes()
  .map((readme) => {
    const blocks = fencedBlocks(readFileSync(join(REPO_ROOT, readme), 'utf8'));
    return {
      readme,
      commands: blocks.filter((b) => b.lang === 'console').flatMap(consoleCommands),
      files: jsExamples(blocks).filter((e) => e.file !== undefined),
    };
  })
  .filter((s) => s.commands.length > 0);

describe('README console sessions', () => {
  it('exist in the root README and the packages', () => {
    expect(sessions.map((s) => s.readme)).toContain('README.md');
  });

  it.each(sessions.map((s) => [s.readme, s] as const))(
    '%s: every command succeeds and prints what is shown',
    async (readme, { commands, files }) => {
      const zfs = commands.some((c) => /\bzpool\b/.test(c.command)) ? new ZfsFuse() : undefined;
      zfs?.start();
      const session = new ConsoleSession();
      for (const f of files) session.writeFile(f.file!, f.code);
      const failures: string[] = [];
      try {
        for (const c of commands) {
          const r = await session.run(c);
          const where = `${readme}:${c.line}: ${c.prompt} ${c.command}`;
          if (r.status !== 0) {
            failures.push(`${where}\nexited with ${r.status}:\n${r.stdout}${r.stderr}`);
            break;
          }
          if (c.background) continue; // its output is checked when the session ends
          const m = matchOutput(c.expected, r);
          if (!m.ok) failures.push(`${where}\n${m.report}`);
        }
      } finally {
        for (const b of await session.finish()) {
          const m = matchOutput(b.command.expected, b.output, { prefix: true });
          if (!m.ok) failures.push(`${readme}:${b.command.line}: ${b.command.command} (background)\n${m.report}`);
        }
        zfs?.cleanup();
      }
      expect(failures.join('\n\n')).toBe('');
    },
    600_000,
  );
});

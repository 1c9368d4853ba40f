// Every README's `js` examples run as written against the installed tarballs, from a project
// outside the repository (so they can use only what the packages ship), and print what the
// `text` block after each shows (CONTRIBUTING.md, "READMEs are run").
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { matchOutput } from '../src/expected-output.js';
import { plainOutputEnv } from '../src/plain-output-env.js';
import { fencedBlocks, jsExamples } from '../src/readme-blocks.js';
import { readmes, REPO_ROOT } from '../src/workspace.js';

const project = inject('project');

const cases = readmes().flatMap((readme) =>
  jsExamples(fencedBlocks(readFileSync(join(REPO_ROOT, readme), 'utf8')))
    .filter((e) => e.file === undefined)
    .map((e) => ({ readme, ...e })),
);

describe('README examples', () => {
  it('exist in the package READMEs', () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  it.each(cases.map((c) => [`${c.readme}:${c.line}`, c] as const))('%s runs and prints what it shows', (name, c) => {
    expect(c.expected, `${name}: a js example is followed by a text block of its output`).toBeDefined();
    const dir = join(project.dir, 'readme', name.replace(/[/:.]/g, '-'));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'example.mjs');
    writeFileSync(file, c.code);
    const r = spawnSync(process.execPath, [file], {
      cwd: dir,
      env: plainOutputEnv(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, `${name} exited with ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`).toBe(0);
    const m = matchOutput(c.expected!.split('\n'), { stdout: r.stdout, stderr: r.stderr });
    expect(m.ok, `${name}\n${m.report}`).toBe(true);
  });
});

/// <reference types="node" />
// The README's runnable example runs and prints the reply (needs `npx tsup` first, as every run does).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('examples/two-stacks.mjs', () => {
  it('prints the HTTP reply carried between two stacks', () => {
    const script = fileURLToPath(new URL('../examples/two-stacks.mjs', import.meta.url));
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
    expect(out).toContain('hello from 10.0.0.1');
  });
});

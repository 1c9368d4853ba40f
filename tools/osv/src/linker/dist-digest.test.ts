import { mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distDigest } from './dist-digest.js';

function tree(): { dists: { name: string; dir: string }[]; memo: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'dist-digest-'));
  const a = join(root, 'a', 'dist');
  mkdirSync(join(a, 'sub'), { recursive: true });
  writeFileSync(join(a, 'index.js'), 'export const a = 1;\n');
  writeFileSync(join(a, 'sub', 'chunk.js'), 'export const b = 2;\n');
  writeFileSync(join(a, 'index.d.ts'), 'export declare const a: number;\n');
  return { dists: [{ name: 'a', dir: a }], memo: join(root, 'memo.json'), root };
}

describe('distDigest', () => {
  it('is the same for the same files, and the memo answers the second time', () => {
    const t = tree();
    const first = distDigest(t.dists, t.memo);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    // Plant a different digest under the same stamps: a memo hit returns it unread.
    const memo = JSON.parse(readFileSync(t.memo, 'utf8')) as [string, string][];
    expect(memo).toHaveLength(1);
    writeFileSync(t.memo, JSON.stringify([[memo[0]![0], 'f'.repeat(64)]]));
    expect(distDigest(t.dists, t.memo)).toBe('f'.repeat(64));
  });

  it('sees a same-size edit whose mtime was put back (ctime moves)', async () => {
    const t = tree();
    const before = distDigest(t.dists, t.memo);
    const file = join(t.dists[0]!.dir, 'index.js');
    const { atime, mtime } = statSync(file);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(file, 'export const a = 7;\n');
    utimesSync(file, atime, mtime);
    expect(distDigest(t.dists, t.memo)).not.toBe(before);
  });

  it('changes with a new .js file, not with other files; a damaged memo is computed again', () => {
    const t = tree();
    const before = distDigest(t.dists, t.memo);
    writeFileSync(join(t.dists[0]!.dir, 'notes.md'), 'not code\n');
    expect(distDigest(t.dists, t.memo)).toBe(before);
    writeFileSync(t.memo, '{ not json');
    expect(distDigest(t.dists, t.memo)).toBe(before);
    writeFileSync(join(t.dists[0]!.dir, 'extra.js'), '\n');
    expect(distDigest(t.dists, t.memo)).not.toBe(before);
    // A package with no dist/ contributes nothing.
    expect(distDigest([...t.dists, { name: 'b', dir: join(t.root, 'b', 'dist') }], t.memo)).toBe(
      distDigest(t.dists, t.memo),
    );
  });
});

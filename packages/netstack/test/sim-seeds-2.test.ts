// Seeds 500–749 of the 1000-seed 1 MB simulation (split in four files so
// vitest's fork pool runs them in parallel).
import { describe, expect, it } from 'vitest';
import { runSeed } from './seed-run.js';

describe('1 MB over a seeded faulty link', () => {
  it('arrives byte-exact for seeds 500–749', () => {
    const failures: number[] = [];
    for (let seed = 500; seed < 750; seed++) {
      if (!runSeed(seed).ok) failures.push(seed);
    }
    expect(failures).toEqual([]);
  }, 240_000);
});

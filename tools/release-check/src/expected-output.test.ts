// The comparison of shown and printed output: exact apart from the documented placeholders.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchOutput, normalise } from './expected-output.js';

describe('matchOutput', () => {
  it('accepts the same lines and refuses any changed, missing or extra line', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z](?:[a-z =:]{0,18}[a-z])?$/), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (lines, pick) => {
          const text = lines.join('\n');
          expect(matchOutput(lines, `${text}\n`).ok).toBe(true);
          const i = pick % lines.length;
          const changed = lines.map((l, k) => (k === i ? `${l}!` : l));
          expect(matchOutput(changed, text).ok).toBe(false);
          expect(matchOutput([...lines, 'more'], text).ok).toBe(false);
          expect(matchOutput(lines.slice(1), text).ok).toBe(false);
        },
      ),
    );
  });

  it('lets … stand for text within a line and a … line for any lines', () => {
    expect(matchOutput(['osv: console0: {"traps":44,...}'], 'osv: console0: {"traps":44,"rx":2}').ok).toBe(true);
    expect(matchOutput(['osv: console0: {"traps":44,...}'], 'osv: console0: {"traps":45,"rx":2}').ok).toBe(false);
    expect(matchOutput(['first', '…', 'last'], 'first\na\nb\nlast').ok).toBe(true);
    expect(matchOutput(['first', '…', 'last'], 'first\nlast').ok).toBe(true);
    expect(matchOutput(['first', '…', 'last'], 'first\na\nb').ok).toBe(false);
  });

  it('normalises timings, hashes, KiB sizes and the cache note, and nothing else', () => {
    expect(normalise('Booted up in 54.10 ms')).toBe('Booted up in <time>');
    expect(normalise('\tvCPU started: 37.34ms, (+37.34ms)')).toBe('\tvCPU started: <time>, (+<time>)');
    expect(normalise('osv: kernel 3b647dea87868359 (63.9 KiB, cached) modules: x')).toBe(
      'osv: kernel <hash> (<size> KiB) modules: x',
    );
    expect(normalise('osv: wrote pool.img: zfs pool, 67108864 bytes')).toBe(
      'osv: wrote pool.img: zfs pool, 67108864 bytes',
    );
    expect(matchOutput(['exit status 3'], 'exit status 4').ok).toBe(false);
  });

  it('with prefix, needs the shown lines only at the start', () => {
    expect(matchOutput(['httpd: serving on fd 3'], 'httpd: serving on fd 3\nosv: stopped\n', { prefix: true }).ok).toBe(
      true,
    );
    expect(matchOutput(['httpd: serving on fd 3'], 'osv: stopped\n', { prefix: true }).ok).toBe(false);
  });
});

describe('matchOutput with stdout and stderr apart', () => {
  const printed = { stdout: 'out 1\nout 2\n', stderr: 'err 1\nerr 2\n' };

  it('accepts any interleaving that keeps each stream in order', () => {
    expect(matchOutput(['out 1', 'err 1', 'out 2', 'err 2'], printed).ok).toBe(true);
    expect(matchOutput(['err 1', 'err 2', 'out 1', 'out 2'], printed).ok).toBe(true);
    expect(matchOutput(['out 1', '…', 'err 2'], printed).ok).toBe(true);
  });

  it('refuses a stream out of its own order, or a line from nowhere', () => {
    expect(matchOutput(['out 2', 'out 1', 'err 1', 'err 2'], printed).ok).toBe(false);
    expect(matchOutput(['out 1', 'err 2', 'err 1', 'out 2'], printed).ok).toBe(false);
    expect(matchOutput(['out 1', 'out 2', 'err 1'], printed).ok).toBe(false);
    expect(matchOutput(['out 1', 'out 2', 'err 1', 'err 2', 'more'], printed).ok).toBe(false);
  });
});

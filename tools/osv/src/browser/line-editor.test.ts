import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineEditor } from './line-editor.js';

function editor() {
  const sent: string[] = [];
  let echoed = '';
  let ended = 0;
  const decoder = new TextDecoder();
  const e = new LineEditor({
    echo: (t) => (echoed += t),
    send: (b) => sent.push(decoder.decode(b)),
    end: () => ended++,
  });
  return { e, sent, echoed: () => echoed, ended: () => ended };
}

/** What a terminal shows on its last line after this echo (\b moves left, \r\n starts a line). */
function screenLine(echo: string): string {
  let line: string[] = [];
  let col = 0;
  for (const ch of echo) {
    if (ch === '\n') {
      line = [];
      col = 0;
    } else if (ch === '\r') col = 0;
    else if (ch === '\b') col = Math.max(0, col - 1);
    else {
      line[col++] = ch;
    }
  }
  return line.slice(0, col).join('') + line.slice(col).join('').trimEnd();
}

describe('LineEditor (the page terminal in canonical mode)', () => {
  it('sends a line with its newline when Enter is typed, and echoes what was typed', () => {
    const t = editor();
    t.e.input('ls -l');
    expect(t.sent).toEqual([]);
    t.e.input('\r');
    expect(t.sent).toEqual(['ls -l\n']);
    expect(t.echoed()).toBe('ls -l\r\n');
  });

  it('erases with DEL and BS, kills the line with Ctrl-U, and drops cursor keys', () => {
    const t = editor();
    t.e.input('hex\x7f\bello');
    t.e.input('\x1b[D\x1b[A\x1bOB');
    t.e.input('\r');
    t.e.input('junk\x15ok\b\r');
    expect(t.sent).toEqual(['hello\n', 'o\n']);
  });

  it('Ctrl-D sends a partial line without a newline, and on an empty line ends the input once', () => {
    const t = editor();
    t.e.input('abc\x04');
    expect(t.sent).toEqual(['abc']);
    expect(t.ended()).toBe(0);
    t.e.input('\x04');
    expect(t.ended()).toBe(1);
    t.e.input('more\r\x04');
    expect(t.sent).toEqual(['abc']);
    expect(t.ended()).toBe(1);
  });

  it('keeps a character outside the BMP as one character (one erase removes it)', () => {
    const t = editor();
    t.e.input('a\u{1F600}\x7fb\r');
    expect(t.sent).toEqual(['ab\n']);
  });

  it('a pasted run behaves as the same keys typed one by one, and the screen shows the edit line', () => {
    const key = fc.constantFrom('a', 'b', 'é', ' ', '\x7f', '\x15', '\r', '\x1b[C', '\x03');
    fc.assert(
      fc.property(fc.array(key, { maxLength: 40 }), (keys) => {
        const pasted = editor();
        pasted.e.input(keys.join(''));
        const typed = editor();
        for (const k of keys) typed.e.input(k);
        expect(pasted.sent).toEqual(typed.sent);
        expect(screenLine(typed.echoed())).toBe(typed.e.pending);
        // Every sent line is what was on screen when Enter came: no control characters in it.
        for (const line of typed.sent) {
          expect(line.endsWith('\n')).toBe(true);
          expect([...line.slice(0, -1)].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});

// The page terminal's canonical mode: what a host tty's line discipline does for `osv run` in a
// shell (POSIX.1-2017 XBD §11.1.6 "Canonical Mode Input Processing"), done on the page because
// the guest has none and xterm.js hands over raw keys. Typed characters are echoed and kept in
// an edit line; ERASE (DEL or BS) removes the last character; NL/CR completes the line, which
// goes to the guest with its newline; EOF (Ctrl-D) sends the line as it is, or, on an empty
// line, ends the guest's input; KILL (Ctrl-U) clears the line. Isomorphic: no DOM, no xterm.

const CR = '\r';
const NL = '\n';
const EOF = '\x04';
const KILL = '\x15';
const ERASE = ['\x7f', '\b'];
const ESC = '\x1b';

export interface LineEditorOutput {
  /** Echo for the terminal (what a tty echoes back: the characters, `\b \b` for an erase). */
  echo(text: string): void;
  /** A completed line (with its newline) or an EOF-flushed partial line, for the guest. */
  send(bytes: Uint8Array): void;
  /** Ctrl-D on an empty line: the guest's input has ended. */
  end(): void;
}

export class LineEditor {
  private line: string[] = [];
  private ended = false;
  private readonly encoder = new TextEncoder();

  constructor(private readonly out: LineEditorOutput) {}

  /** Keys as xterm.js's onData gives them (one key, or a pasted run of text). */
  input(data: string): void {
    if (this.ended) return;
    for (let i = 0; i < data.length; i++) {
      const c = data[i]!;
      if (c === ESC) {
        // Cursor keys and other escape sequences (ECMA-48 §5.4: ESC [ params final): not
        // editing commands here; skip the whole sequence rather than echo its bytes.
        i = skipEscapeSequence(data, i);
        continue;
      }
      if (c === CR || c === NL) {
        this.out.echo('\r\n');
        this.flush('\n');
      } else if (ERASE.includes(c)) {
        const removed = this.line.pop();
        // A wide character takes two cells; everything this editor echoes is one code point.
        if (removed !== undefined) this.out.echo('\b \b');
      } else if (c === KILL) {
        this.out.echo('\b \b'.repeat(this.line.length));
        this.line = [];
      } else if (c === EOF) {
        if (this.line.length === 0) {
          this.ended = true;
          this.out.end();
          return;
        }
        this.flush('');
      } else if (c >= ' ' || c === '\t') {
        // A surrogate pair is one character on screen and one entry in the edit line.
        const code = data.codePointAt(i)!;
        const ch = String.fromCodePoint(code);
        if (ch.length === 2) i++;
        this.line.push(ch);
        this.out.echo(ch);
      }
      // Other control characters (Ctrl-C, Ctrl-Z: no signals in a unikernel) are dropped.
    }
  }

  /** The characters typed on the current, unfinished line. */
  get pending(): string {
    return this.line.join('');
  }

  private flush(terminator: string): void {
    const text = this.line.join('') + terminator;
    this.line = [];
    if (text.length > 0) this.out.send(this.encoder.encode(text));
  }
}

/** The index of the last character of the escape sequence starting at data[start] (an ESC). */
function skipEscapeSequence(data: string, start: number): number {
  const next = data[start + 1];
  if (next !== '[' && next !== 'O') return Math.min(start + 1, data.length - 1);
  let i = start + 2;
  // CSI: parameter and intermediate bytes 0x20–0x3f, then one final byte 0x40–0x7e.
  while (i < data.length && data.charCodeAt(i) >= 0x20 && data.charCodeAt(i) <= 0x3f) i++;
  return Math.min(i, data.length - 1);
}

// The runnable parts of a README (CONTRIBUTING.md, "READMEs are run"): fenced code blocks
// (CommonMark's backtick fences, possibly indented inside a list item), the `js` examples with
// the `text` block of output that follows each, and the commands of `console` sessions with the
// output shown under each.

export interface FencedBlock {
  /** The info string's first word (`js`, `console`, `text`, …); '' when absent. */
  readonly lang: string;
  /** The rest of the info string (`file=app.mjs`). */
  readonly info: string;
  /** The lines between the fences, with the fence's indentation removed. */
  readonly body: string;
  /** 1-based line number of the opening fence. */
  readonly line: number;
}

export class ReadmeFormatError extends Error {
  override readonly name = 'ReadmeFormatError';
}

// An opening fence: three or more backticks, indented as the list item around it may be.
const OPEN = /^(\s*)(`{3,})\s*([^`\s]*)\s*(.*)$/;

/** Every fenced code block in `markdown`, in order. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = OPEN.exec(lines[i]!);
    if (!m) continue;
    const indent = m[1]!.length;
    const fence = m[2]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^(\s*)(`{3,})\s*$/.exec(lines[j]!);
      if (close && close[2]!.length >= fence.length) break;
      body.push(lines[j]!.startsWith(' '.repeat(indent)) ? lines[j]!.slice(indent) : lines[j]!.trimStart());
    }
    if (j === lines.length) throw new ReadmeFormatError(`line ${i + 1}: code block is never closed`);
    blocks.push({ lang: m[3]!, info: m[4]!.trim(), body: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

export interface JsExample {
  readonly line: number;
  readonly code: string;
  /** What the example prints: the `text` block right after it; undefined when there is none. */
  readonly expected: string | undefined;
  /** `js file=NAME`: a file a later console session uses, not run by itself. */
  readonly file: string | undefined;
}

/** The `js` blocks of a README, each with the output block that follows it. */
export function jsExamples(blocks: readonly FencedBlock[]): JsExample[] {
  const out: JsExample[] = [];
  blocks.forEach((b, i) => {
    if (b.lang !== 'js') return;
    const file = /(?:^|\s)file=(\S+)/.exec(b.info)?.[1];
    const next = blocks[i + 1];
    out.push({ line: b.line, code: b.body, expected: next?.lang === 'text' ? next.body : undefined, file });
  });
  return out;
}

export interface ConsoleCommand {
  /** `$` runs as the user in the repository view, `#` as root in a network namespace of its own. */
  readonly prompt: '$' | '#';
  /** The command, continuation lines joined as the shell joins them. */
  readonly command: string;
  /** Runs in the background (`cmd &`) until the session ends. */
  readonly background: boolean;
  /** The lines shown after the command, trailing blank lines removed. */
  readonly expected: string[];
  /** 1-based line in the README. */
  readonly line: number;
}

/** The commands of one `console` block and the output shown under each. */
export function consoleCommands(block: FencedBlock): ConsoleCommand[] {
  const lines = block.body.split('\n');
  const out: { prompt: '$' | '#'; command: string; expected: string[]; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^([$#]) (.*)$/.exec(lines[i]!);
    if (!m) {
      const current = out.at(-1);
      if (!current) {
        if (lines[i]!.trim() === '') continue;
        throw new ReadmeFormatError(`line ${block.line + 1 + i}: console block starts with output, not a command`);
      }
      current.expected.push(lines[i]!);
      continue;
    }
    const line = block.line + 1 + i;
    let command = m[2]!;
    while (command.endsWith('\\') && i + 1 < lines.length) command = `${command}\n${lines[++i]!}`;
    out.push({ prompt: m[1] as '$' | '#', command, expected: [], line });
  }
  return out.map((c) => {
    const expected = [...c.expected];
    while (expected.length > 0 && expected.at(-1)!.trim() === '') expected.pop();
    const background = /(^|[^&])&\s*$/.test(c.command);
    return { ...c, expected, background };
  });
}

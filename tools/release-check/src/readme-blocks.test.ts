// Reading READMEs: fences (also indented in list items), js examples with their output block,
// console commands with continuation lines, prompts and background jobs.
import { describe, expect, it } from 'vitest';
import { consoleCommands, fencedBlocks, jsExamples, ReadmeFormatError } from './readme-blocks.js';

const README = [
  '# x',
  '',
  '```js',
  "console.log('a');",
  '```',
  '',
  'It prints:',
  '',
  '```text',
  'a',
  '```',
  '',
  '- A list item:',
  '',
  '  ```js file=app.mjs',
  '  export default () => 0;',
  '  ```',
  '',
  '```console',
  '$ npx osv run \\',
  '    app.mjs &',
  '# ip link',
  '1: lo',
  '',
  '$ echo "status $?"',
  'status 0',
  '',
  '```',
].join('\n');

describe('README blocks', () => {
  it('finds every fence with its language, info, body and line', () => {
    const blocks = fencedBlocks(README);
    expect(blocks.map((b) => [b.lang, b.info, b.line])).toEqual([
      ['js', '', 3],
      ['text', '', 9],
      ['js', 'file=app.mjs', 15],
      ['console', '', 19],
    ]);
    expect(blocks[2]!.body).toBe('export default () => 0;');
  });

  it('pairs a js example with the text block after it, and names file blocks', () => {
    const examples = jsExamples(fencedBlocks(README));
    expect(examples).toEqual([
      { line: 3, code: "console.log('a');", expected: 'a', file: undefined },
      { line: 15, code: 'export default () => 0;', expected: undefined, file: 'app.mjs' },
    ]);
  });

  it('splits a console block into commands with their output', () => {
    const commands = consoleCommands(fencedBlocks(README)[3]!);
    expect(commands).toEqual([
      { prompt: '$', command: 'npx osv run \\\n    app.mjs &', background: true, expected: [], line: 20 },
      { prompt: '#', command: 'ip link', background: false, expected: ['1: lo'], line: 22 },
      { prompt: '$', command: 'echo "status $?"', background: false, expected: ['status 0'], line: 25 },
    ]);
  });

  it('refuses an unclosed fence and output before the first command', () => {
    expect(() => fencedBlocks('```js\nx\n')).toThrow(ReadmeFormatError);
    expect(() => consoleCommands({ lang: 'console', info: '', body: 'output\n$ cmd', line: 1 })).toThrow(
      ReadmeFormatError,
    );
  });
});

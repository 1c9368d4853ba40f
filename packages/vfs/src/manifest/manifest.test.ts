import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryHostFs } from '../../test/memory-host-fs.js';
import { dec } from '../../test/helpers.js';
import type { ImageDir, ImageNode } from '../image/image-tree.js';
import { guestPathComponents } from './guest-path.js';
import { ManifestError, ManifestSourceError } from './manifest-error.js';
import { parseManifest } from './manifest-parser.js';
import { planManifest } from './manifest-plan.js';
import { toBootfsEntries, toRofsTree } from './manifest-tree.js';

function shape(node: ImageNode): unknown {
  if (node.kind === 'dir') return Object.fromEntries([...node.children].map(([k, v]) => [k, shape(v)]));
  if (node.kind === 'symlink') return `->${node.target}`;
  return dec(typeof node.data === 'function' ? node.data() : node.data);
}

/** The ManifestError `f` throws (fails the test when it throws anything else or nothing). */
function manifestError(f: () => unknown): ManifestError {
  try {
    f();
  } catch (e) {
    if (e instanceof ManifestError) return e;
    throw e;
  }
  throw new Error('expected a ManifestError');
}

describe('manifest parser', () => {
  it('skips comments, blank lines and [manifest]; splits at the first ": "; substitutes %(NAME)s', () => {
    const text = '[manifest]\n  # comment\n\n/a: x/a\n/b:   %(dir)s/b  \n/c: ->/a\n/d: x: y\n/e: 100%%\n';
    expect(parseManifest(text, { dir: '/opt' }).map((l) => [l.guest, l.host, l.line])).toEqual([
      ['/a', 'x/a', 4],
      ['/b', '/opt/b', 5],
      ['/c', '->/a', 6],
      ['/d', 'x', 7],
      ['/e', '100%', 8],
    ]);
    expect(manifestError(() => parseManifest('\n/a x')).message).toBe('line 2: no ": " separator in "/a x"');
    expect(() => parseManifest('/a: %(nope)s')).toThrow(/line 1: undefined variable nope/);
    expect(() => parseManifest('/a: 5%d')).toThrow(ManifestError);
  });
});

describe('manifest plan and trees', () => {
  const host = new MemoryHostFs()
    .file('b/a.txt', 'hello\n')
    .file('b/d/b.bin', 'bin')
    .dir('b/empty')
    .file('b/tree/x', 'x')
    .file('b/tree/sub/y', 'y')
    .dir('b/tree/hollow')
    .file('b/tree/z', 'z')
    .symlink('b/tree/link', 'x')
    .symlink('b/tree/dirlink', 'sub')
    .symlink('b/tree/shadow', '/etc/shadow')
    .file('etc/shadow', 'root:secret\n')
    .file('b/static/etc/hosts', '127.0.0.1 localhost\n')
    .symlink('b/ln', 'a.txt')
    .symlink('b/abs', '/a.txt')
    .symlink('b/out', '../etc/shadow')
    .symlink('b/dangling', '/nowhere');
  const plan = (text: string) => planManifest(parseManifest(text), host);

  it('expands /**, &, -> and named host symlinks; keeps symlinks found in a tree as symlinks', () => {
    const p = plan(
      [
        '/a.txt: b/a.txt',
        '/d/b.bin: b/d/b.bin',
        '/d/l: ->/a.txt',
        '/e: b/empty',
        '/t/**: b/tree/**',
        '/&/etc/hosts: b/static/&',
        '/via-link: b/ln',
        '/kept-link: !b/ln',
        '/abs: b/abs',
        '/dangling: b/dangling',
        '/a.txt: b/d/b.bin',
      ].join('\n'),
    );
    expect(p.warnings).toEqual([]);
    expect(shape(toRofsTree(p, host))).toEqual({
      // The later line for /a.txt wins but keeps the first one's place.
      'a.txt': 'bin',
      d: { 'b.bin': 'bin', l: '->/a.txt' },
      e: {},
      // os.walk order (the top's entries in host order, then sub/, hollow/); a symlink in the
      // tree stays a link, to a file, a directory or out of the tree alike, and is never read.
      t: { x: 'x', z: 'z', link: '->x', dirlink: '->sub', shadow: '->/etc/shadow', sub: { y: 'y' }, hollow: {} },
      etc: { hosts: '127.0.0.1 localhost\n' },
      // A host symlink named on its own line is followed (OSv's unsymlink), "!" keeps it, an
      // absolute target is searched under each ancestor of the link's directory.
      'via-link': 'hello\n',
      'kept-link': '->a.txt',
      abs: 'hello\n',
      dangling: '->/nowhere',
    });
  });

  it('copies a tree link content only when a later line names the link itself', () => {
    const p = plan('/t/**: b/tree/**\n/t/link: b/tree/link');
    expect((shape(toRofsTree(p, host)) as Record<string, Record<string, unknown>>)['t']!['link']).toBe('x');
  });

  it('warns, with the line number, when a named symlink leads out of its directory', () => {
    const p = plan('/a: b/a.txt\n/secret: b/out');
    expect(p.warnings).toEqual([
      {
        line: 2,
        message:
          '/secret: b/out is a symlink that leads out of b to /etc/shadow; its content is copied (write !b/out to keep the link)',
      },
    ]);
  });

  it('lists bootfs entries in manifest order; "!" links stay links in the ramfs root too', () => {
    const p = plan('/a: b/a.txt\n/e: b/empty\n/l: ->/a\n/x-stripped.so: b/a.txt\n/k: !b/ln\n/t/**: b/tree/**');
    expect(toBootfsEntries(p, host).map((e) => [e.kind, e.name, e.kind === 'symlink' ? e.target : ''])).toEqual([
      ['file', '/a', ''],
      ['dir', '/e/', ''],
      ['symlink', '/l', '/a'],
      ['symlink', '/k', 'a.txt'],
      ['dir', '/t/', ''],
      ['file', '/t/x', ''],
      ['file', '/t/z', ''],
      ['symlink', '/t/link', 'x'],
      ['symlink', '/t/dirlink', 'sub'],
      ['symlink', '/t/shadow', '/etc/shadow'],
      ['dir', '/t/sub/', ''],
      ['file', '/t/sub/y', ''],
      ['dir', '/t/hollow/', ''],
    ]);
  });

  it.each([
    ['/../../etc/x: b/a.txt', 'guest path "/../../etc/x" has a ".." component; write the path without it'],
    ['/a/./b: b/a.txt', 'guest path "/a/./b" has a "." component; write the path without it'],
    ['/a//b: b/a.txt', 'guest path "/a//b" has an empty component (a "//" or a trailing "/")'],
    ['/a/: b/empty', 'guest path "/a/" has an empty component (a "//" or a trailing "/")'],
    ['a: b/a.txt', 'guest path "a" is not absolute (start it with "/")'],
    ['/../**: b/tree/**', 'guest path "/.." has a ".." component; write the path without it'],
    ['/x/&/../y: b/static/&', 'guest path "/x/../y" has a ".." component; write the path without it'],
    ['/: b/a.txt', '/: the image root must be a directory'],
    ['/l: ->', '/l: "->" needs a symlink target'],
    ['/m: b/missing', '/m: host path b/missing does not exist', true],
    ['/t/**: b/none/**', 'b/none/**: b/none/ is missing', true],
    ['/t/**: b/a.txt/**', 'b/a.txt/**: b/a.txt/ is not a directory'],
  ])('refuses %j, naming the line', (text, detail, fromHost = false) => {
    const e = manifestError(() => plan(`/ok: b/a.txt\n${text}`));
    expect(e.line).toBe(2);
    expect(e.detail).toBe(detail);
    expect(e.message).toBe(`line 2: ${detail}`);
    // What the host lacks is a ManifestSourceError (a failure); the text's own mistakes are not.
    expect(e instanceof ManifestSourceError).toBe(fromHost);
  });

  it('refuses host paths that are neither file, directory nor symlink (a FIFO would block the build)', () => {
    const h = new MemoryHostFs().other('p/fifo').file('p/tree/f', 'f').other('p/tree/sock');
    expect(manifestError(() => planManifest(parseManifest('/f: p/fifo'), h)).message).toBe(
      'line 1: /f: p/fifo is not a regular file, directory or symlink',
    );
    expect(manifestError(() => planManifest(parseManifest('/t/**: p/tree/**'), h)).message).toBe(
      'line 1: p/tree/sock: not a regular file, directory or symlink (found in p/tree/**)',
    );
  });

  it.each([
    ['/a: b/a.txt\n/a/b: b/a.txt', 2, '/a/b: /a is a file (line 1) and cannot also be a directory'],
    ['/a/b: b/a.txt\n/a: b/a.txt', 2, '/a: /a is a directory (line 1) and cannot also be a file'],
    ['/a: b/empty\n/a: b/a.txt', 2, '/a: /a is a directory (line 1) and cannot also be a file'],
    ['/a: b/a.txt\n/a: b/empty', 2, '/a: /a is a file (line 1) and cannot also be a directory'],
    ['/l: ->x\n/l/f: b/a.txt', 2, '/l/f: /l is a file (line 1) and cannot also be a directory'],
    ['/t/x: b/a.txt\n/t/x/**: b/tree/**', 2, '/t/x: /t/x is a file (line 1) and cannot also be a directory'],
    ['/t/**: b/tree/**\n/t/sub: b/a.txt', 2, '/t/sub: /t/sub is a directory (line 1) and cannot also be a file'],
  ])('refuses a path used as both file and directory: %j', (text, line, detail) => {
    const e = manifestError(() => plan(text));
    expect([e.line, e.detail]).toEqual([line, detail]);
  });
});

describe('guestPathComponents', () => {
  const component = fc.constantFrom('a', 'bc', '.', '..', '', '.x', 'x..', '\0');
  it('accepts exactly the absolute paths of plain names', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(component, { maxLength: 6 }), (absolute, parts) => {
        fc.pre(absolute || parts[0] !== ''); // a relative path cannot start with an empty name
        const path = (absolute ? '/' : '') + parts.join('/');
        const r = guestPathComponents(path);
        const plain = parts.every((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('\0'));
        const valid = absolute && (path === '/' || (parts.length > 0 && plain));
        expect('components' in r).toBe(valid);
        if ('components' in r) expect('/' + r.components.join('/')).toBe(path);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('planManifest against a model', () => {
  // Random lines over a tiny namespace, each a file, a directory, or a symlink; the model says
  // which line (if any) must be refused and what the tree then is.
  const host = new MemoryHostFs().file('h/one', '1').file('h/two', '2').dir('h/dir');
  const pathArb = fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 3 }).map((p) => '/' + p.join('/'));
  const lineArb = fc.tuple(pathArb, fc.constantFrom('h/one', 'h/two', 'h/dir', '->t', '!h/one'));

  it('refuses exactly the first line that makes a file a directory or a directory a file', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 12 }), (lines) => {
        const model = new Map<string, { dir: boolean; value: string }>();
        let bad = 0;
        lines.forEach(([path, source], i) => {
          if (bad) return;
          const dir = source === 'h/dir';
          const parts = path.slice(1).split('/');
          for (let k = 1; k < parts.length; k++) {
            const parent = '/' + parts.slice(0, k).join('/');
            const m = model.get(parent);
            if (m && !m.dir) return void (bad = i + 1);
            if (!m) model.set(parent, { dir: true, value: '{}' });
          }
          const m = model.get(path);
          if (m && m.dir !== dir) return void (bad = i + 1);
          if (!m || !dir)
            model.set(path, { dir, value: dir ? '{}' : source === 'h/two' ? '2' : source === '->t' ? '->t' : '1' });
        });
        const text = lines.map(([p, s]) => `${p}: ${s}`).join('\n');
        let tree: ImageDir;
        try {
          tree = toRofsTree(planManifest(parseManifest(text), host), host);
        } catch (e) {
          expect(e).toBeInstanceOf(ManifestError);
          expect((e as ManifestError).line).toBe(bad);
          return;
        }
        expect(bad).toBe(0);
        const find = (path: string): ImageNode | undefined => {
          let node: ImageNode | undefined = tree;
          for (const part of path.slice(1).split('/'))
            node = node?.kind === 'dir' ? node.children.get(part) : undefined;
          return node;
        };
        for (const [path, m] of model) {
          const node = find(path);
          expect(node?.kind === 'dir').toBe(m.dir);
          if (!m.dir) expect(shape(node!)).toBe(m.value);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

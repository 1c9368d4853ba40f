import { FormatError } from '@osv-ts/kernel-api';
import { describe, expect, it } from 'vitest';
import { MemoryHostFs } from '../../test/memory-host-fs.js';
import { dec } from '../../test/helpers.js';
import type { ImageDir, ImageNode } from '../image/image-tree.js';
import { resolveManifest } from './manifest-expand.js';
import { parseManifest } from './manifest-parser.js';
import { toBootfsEntries, toRofsTree } from './manifest-tree.js';

function shape(node: ImageNode): unknown {
  if (node.kind === 'dir') return Object.fromEntries([...node.children].map(([k, v]) => [k, shape(v)]));
  if (node.kind === 'symlink') return `->${node.target}`;
  return dec(typeof node.data === 'function' ? node.data() : node.data);
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
    expect(() => parseManifest('/a x')).toThrow(FormatError);
    expect(() => parseManifest('/a: %(nope)s')).toThrow(/undefined variable nope/);
    expect(() => parseManifest('/a: 5%d')).toThrow(FormatError);
  });
});

describe('manifest to trees', () => {
  const host = new MemoryHostFs()
    .file('b/a.txt', 'hello\n')
    .file('b/d/b.bin', 'bin')
    .dir('b/empty')
    .file('b/tree/x', 'x')
    .file('b/tree/sub/y', 'y')
    .file('b/tree/z', 'z')
    .symlink('b/tree/link', 'x')
    .symlink('b/tree/dirlink', 'sub')
    .file('b/static/etc/hosts', '127.0.0.1 localhost\n')
    .symlink('b/ln', 'a.txt')
    .symlink('b/abs', '/a.txt');

  it('expands /**, &, -> and resolves host symlinks as gen-rofs-img.py does', () => {
    const lines = parseManifest(
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
        '/a.txt: b/d/b.bin',
      ].join('\n'),
    );
    const entries = resolveManifest(lines, host);
    expect(entries.find((e) => e.guest === '/etc/hosts')?.host).toBe('b/static/etc/hosts');
    expect(entries.find((e) => e.guest === '/via-link')?.host).toBe('b/a.txt');
    // An absolute link target is searched under each ancestor of the link's directory.
    expect(entries.find((e) => e.guest === '/abs')?.host).toBe('b/a.txt');
    const tree = toRofsTree(entries, host);
    expect(shape(tree)).toEqual({
      // The later line for /a.txt wins but keeps the first one's place.
      'a.txt': 'bin',
      d: { 'b.bin': 'bin', l: '->/a.txt' },
      e: {},
      // os.walk: the top directory's files in host order, then sub/; a symlink to a directory
      // counts as a directory (not a file) and is not descended, so it is left out.
      t: { x: 'x', z: 'z', link: 'x', sub: { y: 'y' } },
      etc: { hosts: '127.0.0.1 localhost\n' },
      'via-link': 'hello\n',
      'kept-link': '->a.txt',
      abs: 'hello\n',
    });
    expect([...(tree.children.get('t') as ImageDir).children.keys()]).toEqual(['x', 'z', 'link', 'sub']);
  });

  it('lists bootfs entries in manifest order with directories marked', () => {
    const entries = resolveManifest(parseManifest('/a: b/a.txt\n/e: b/empty\n/l: ->/a\n/x-stripped.so: b/a.txt'), host);
    expect(toBootfsEntries(entries, host).map((e) => [e.kind, e.name])).toEqual([
      ['file', '/a'],
      ['dir', '/e/'],
      ['symlink', '/l'],
    ]);
  });

  it('refuses a path below a file (the script crashes there)', () => {
    const entries = resolveManifest(parseManifest('/a: b/a.txt\n/a/b: b/a.txt'), host);
    expect(() => toRofsTree(entries, host)).toThrow(FormatError);
  });

  it('a host directory line keeps an existing file of that name; a file line replaces a directory in place', () => {
    const entries = resolveManifest(
      parseManifest('/a: b/a.txt\n/a: b/empty\n/d: b/empty\n/z: b/a.txt\n/d: b/d/b.bin'),
      host,
    );
    expect(shape(toRofsTree(entries, host))).toEqual({ a: 'hello\n', d: 'bin', z: 'hello\n' });
    expect([...toRofsTree(entries, host).children.keys()]).toEqual(['a', 'd', 'z']);
  });
});

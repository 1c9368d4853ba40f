import { Errno, KernelError } from '@osv-ts/kernel-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StepClock, dec, enc, errnoOf, ramVfs } from '../test/helpers.js';
import { RamFs } from './fs/ramfs/ramfs.js';
import { O_CREAT, O_RDONLY, O_WRONLY } from './open-flags.js';
import { SandboxEscapeError } from './sandbox-escape-error.js';
import { Vfs } from './vfs.js';
import type { Vnode } from './vnode.js';
import type { LookupOptions } from './lookup.js';

// ---- a model namespace, resolved by a deliberately different algorithm -------------------

type MNode =
  | { kind: 'dir'; id: number; children: Map<string, MNode>; mount: boolean }
  | { kind: 'file'; id: number }
  | { kind: 'link'; id: number; target: string };

const NAMES = ['a', 'b', 'c'];

function modelResolve(root: MNode, path: string, follow: boolean): MNode | number {
  if (path === '') return Errno.ENOENT;
  let links = 0;
  // Resolves `p` starting from the ancestor chain `stack`; returns the chain ending at the result.
  const walk = (stack: MNode[], p: string, followLast: boolean): MNode[] | number => {
    let chain = p.startsWith('/') ? [root] : [...stack];
    const trailing = /[^/]\/+$/.test(p);
    const comps = p.split('/').filter((c) => c !== '');
    for (let i = 0; i < comps.length; i++) {
      const name = comps[i]!;
      const last = i === comps.length - 1;
      const cur = chain[chain.length - 1]!;
      if (cur.kind !== 'dir') return Errno.ENOTDIR;
      if (name === '.') continue;
      if (name === '..') {
        if (chain.length > 1) chain = chain.slice(0, -1);
        continue;
      }
      const next = cur.children.get(name);
      if (!next) return Errno.ENOENT;
      if (next.kind === 'link' && (!last || followLast || trailing)) {
        if (++links > 40) return Errno.ELOOP;
        const r = walk(chain, next.target, true);
        if (typeof r === 'number') return r;
        chain = r;
        continue;
      }
      chain = [...chain, next];
    }
    if (trailing && chain[chain.length - 1]!.kind !== 'dir') return Errno.ENOTDIR;
    return chain;
  };
  const r = walk([root], path, follow);
  return typeof r === 'number' ? r : r[r.length - 1]!;
}

// ---- random namespaces ----------------------------------------------------------------------

const targetArb = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.constantFrom('a', 'b', 'c', '.', '..'), { minLength: 1, maxLength: 4 }),
    fc.boolean(),
  )
  .map(([abs, parts, slash]) => (abs ? '/' : '') + parts.join('/') + (slash ? '/' : ''));

function treeArb(): fc.Arbitrary<MNode> {
  let id = 0;
  const node = (depth: number): fc.Arbitrary<MNode> =>
    depth >= 3
      ? fc.oneof(
          fc.constant(null).map((): MNode => ({ kind: 'file', id: id++ })),
          targetArb.map((t): MNode => ({ kind: 'link', id: id++, target: t })),
        )
      : fc.oneof(
          fc.constant(null).map((): MNode => ({ kind: 'file', id: id++ })),
          targetArb.map((t): MNode => ({ kind: 'link', id: id++, target: t })),
          dir(depth + 1),
        );
  const dir = (depth: number): fc.Arbitrary<MNode> =>
    fc
      .tuple(fc.subarray(NAMES, { minLength: 2 }), fc.array(node(depth), { minLength: 3, maxLength: 3 }), fc.boolean())
      .map(([names, kids, mount]): MNode => ({
        kind: 'dir',
        id: id++,
        mount: depth > 0 && mount,
        children: new Map(names.map((n, i) => [n, kids[i]!])),
      }));
  return dir(0);
}

/** Builds the model in a VFS: directories flagged `mount` become separate ramfs mounts. */
function build(root: MNode): { vfs: Vfs; vnodeOf: Map<number, Vnode> } {
  const vfs = new Vfs({ clock: new StepClock() });
  vfs.mountRoot(new RamFs());
  const vnodeOf = new Map<number, Vnode>([[root.id, vfs.root]]);
  const fill = (m: MNode, path: string): void => {
    if (m.kind !== 'dir') return;
    for (const [name, child] of m.children) {
      const p = `${path}/${name}`;
      if (child.kind === 'dir') {
        let v = vfs.mkdir(p);
        if (child.mount) v = vfs.mount(p, new RamFs()).root;
        vnodeOf.set(child.id, v);
        fill(child, p);
      } else if (child.kind === 'file') {
        const f = vfs.open(p, O_WRONLY | O_CREAT);
        f.write(enc(String(child.id)));
        vnodeOf.set(child.id, f.vnode);
        f.close();
      } else {
        vnodeOf.set(child.id, vfs.symlink(child.target, p));
      }
    }
  };
  fill(root, '');
  return { vfs, vnodeOf };
}

describe('path resolution against a model namespace', () => {
  it('agrees on the object or the errno for random paths in random trees with symlinks and mounts', () => {
    const pathArb = fc
      .tuple(
        fc.boolean(),
        fc.array(fc.constantFrom('a', 'b', 'c', 'a', 'b', 'c', '.', '..', 'd'), { maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
      )
      .map(([abs, parts, slash, follow]) => ({
        path: (abs ? '/' : '') + parts.join('/') + (slash && parts.length ? '/' : ''),
        follow,
      }));
    fc.assert(
      fc.property(treeArb(), fc.array(pathArb, { minLength: 1, maxLength: 25 }), (tree, queries) => {
        const { vfs, vnodeOf } = build(tree);
        for (const { path, follow } of queries) {
          const want = modelResolve(tree, path, follow);
          let got: Vnode | number;
          try {
            got = vfs.lookup(path, { follow });
          } catch (e) {
            if (!(e instanceof KernelError)) throw e;
            got = e.errno;
          }
          if (typeof want === 'number') expect({ path, follow, got }).toEqual({ path, follow, got: want });
          else expect({ path, follow, ok: got === vnodeOf.get(want.id) }).toEqual({ path, follow, ok: true });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('crosses mounts both ways and never goes above the root', () => {
    const vfs = ramVfs();
    vfs.mkdir('/mnt');
    const m = vfs.mount('/mnt', new RamFs());
    vfs.mkdir('/mnt/sub');
    expect(vfs.lookup('/mnt')).toBe(m.root);
    expect(vfs.lookup('/mnt/sub/../..')).toBe(vfs.root);
    expect(vfs.lookup('/../../mnt/./sub/..')).toBe(m.root);
    expect(vfs.stat('/mnt').dev).not.toBe(vfs.stat('/').dev);
  });

  it('limits symlink chains (ELOOP) and name lengths (ENAMETOOLONG)', () => {
    const vfs = ramVfs();
    vfs.symlink('l2', '/l1');
    vfs.symlink('l1', '/l2');
    expect(errnoOf(() => vfs.lookup('/l1'))).toBe(Errno.ELOOP);
    for (let i = 0; i < 41; i++) vfs.symlink(`c${i + 1}`, `/c${i}`);
    vfs.mkdir('/c41');
    expect(errnoOf(() => vfs.lookup('/c0'))).toBe(Errno.ELOOP);
    expect(vfs.lookup('/c1')).toBe(vfs.lookup('/c41'));
    expect(errnoOf(() => vfs.lookup('/' + 'x'.repeat(256)))).toBe(Errno.ENAMETOOLONG);
    expect(errnoOf(() => vfs.lookup('/' + 'x'.repeat(255)))).toBe(Errno.ENOENT);
    expect(errnoOf(() => vfs.lookup('/x'.repeat(2048)))).toBe(Errno.ENAMETOOLONG);
    expect(errnoOf(() => vfs.lookup(''))).toBe(Errno.ENOENT);
  });
});

// ---- sandboxing -----------------------------------------------------------------------------

describe('sandboxed lookups in random namespaces', () => {
  it('never reach an object outside the sandbox root, whatever the path and the symlinks', () => {
    const pathArb = fc
      .tuple(fc.boolean(), fc.array(fc.constantFrom('a', 'b', 'c', '.', '..', '..'), { maxLength: 6 }), fc.boolean())
      .map(([abs, parts, follow]) => ({ path: (abs ? '/' : '') + (parts.join('/') || '.'), follow }));
    let inside = 0;
    fc.assert(
      fc.property(
        treeArb(),
        fc.constantFrom<NonNullable<LookupOptions['sandbox']>>('beneath', 'in-root', 'beneath-links-in-root'),
        fc.array(pathArb, { minLength: 1, maxLength: 20 }),
        (tree, mode, queries) => {
          if (tree.kind !== 'dir') return;
          const box = [...tree.children.values()].find((c) => c.kind === 'dir');
          if (!box || box.kind !== 'dir') return;
          const { vfs, vnodeOf } = build(tree);
          const allowed = new Set<Vnode>();
          const collect = (m: MNode): void => {
            allowed.add(vnodeOf.get(m.id)!);
            if (m.kind === 'dir') for (const c of m.children.values()) collect(c);
          };
          collect(box);
          const at = vnodeOf.get(box.id)!;
          for (const { path, follow } of queries) {
            try {
              const v = vfs.lookup(path, { at, sandbox: mode, follow });
              expect({ path, mode, inside: allowed.has(v) }).toEqual({ path, mode, inside: true });
              inside++;
            } catch (e) {
              if (!(e instanceof KernelError)) throw e;
            }
          }
        },
      ),
      { numRuns: 450 },
    );
    expect(inside).toBeGreaterThan(300);
  });

  it("'beneath' from a subdirectory may climb to the sandbox root but not above it", () => {
    const vfs = ramVfs();
    vfs.mkdir('/box');
    vfs.mkdir('/box/sub');
    vfs.writeFile('/box/x', enc('x'));
    vfs.writeFile('/secret', enc('s'));
    const opts = { at: vfs.lookup('/box/sub'), root: vfs.lookup('/box'), sandbox: 'beneath' as const };
    expect(dec(vfs.readFile('../x', opts))).toBe('x');
    expect(() => vfs.readFile('../../secret', opts)).toThrow(SandboxEscapeError);
  });
});

class HookedRamFs extends RamFs {
  onLookup: ((dir: Vnode, name: string) => void) | undefined;
  override lookup(dir: Vnode, name: string): Vnode | undefined {
    const hook = this.onLookup;
    this.onLookup = undefined;
    hook?.(dir, name);
    return super.lookup(dir, name);
  }
}

function sandboxVfs() {
  const fs = new HookedRamFs();
  const vfs = new Vfs({ clock: new StepClock() });
  vfs.mountRoot(fs);
  const put = (p: string, text: string) => {
    const f = vfs.open(p, O_WRONLY | O_CREAT);
    f.write(enc(text));
    f.close();
  };
  vfs.mkdir('/etc');
  put('/etc/passwd', 'secret');
  vfs.mkdir('/box');
  vfs.mkdir('/box/d');
  put('/box/d/x', 'inside');
  put('/box/passwd', 'decoy');
  vfs.mkdir('/box/etc');
  put('/box/etc/passwd', 'box passwd');
  vfs.symlink('/etc/passwd', '/box/abs');
  vfs.symlink('../etc/passwd', '/box/rel-out');
  vfs.symlink('d/../../etc/passwd', '/box/rel-out2');
  vfs.symlink('d/x', '/box/ok');
  const box = vfs.lookup('/box');
  return { vfs, fs, box };
}

function readAll(vfs: Vfs, path: string, opts: object): string {
  const f = vfs.open(path, O_RDONLY, 0, opts);
  const b = new Uint8Array(64);
  return dec(b.subarray(0, f.read(b)));
}

describe('sandboxed lookups', () => {
  it("'beneath' refuses every escape: .., absolute paths, absolute and relative symlinks out", () => {
    const { vfs, box } = sandboxVfs();
    const opts = { at: box, sandbox: 'beneath' as const };
    for (const p of [
      '..',
      '../etc/passwd',
      'd/../../etc/passwd',
      '/etc/passwd',
      'abs',
      'rel-out',
      'rel-out2',
      'd/../..',
    ]) {
      expect(() => vfs.lookup(p, opts), p).toThrow(SandboxEscapeError);
      expect(
        errnoOf(() => vfs.open(p, O_RDONLY, 0, opts)),
        p,
      ).toBe(Errno.EXDEV);
    }
    expect(() => vfs.unlink('../etc/passwd', opts)).toThrow(SandboxEscapeError);
    expect(() => vfs.rename('d/x', '../stolen', opts)).toThrow(SandboxEscapeError);
    expect(() => vfs.symlink('/etc/passwd', 'new', opts)).not.toThrow(); // creating a link is fine; following it is not
    expect(() => vfs.lookup('new', opts)).toThrow(SandboxEscapeError);
    expect(readAll(vfs, 'd/../ok', opts)).toBe('inside');
    expect(readAll(vfs, '/etc/passwd', {})).toBe('secret');
  });

  it("'in-root' confines absolute symlinks and .. to the root", () => {
    const { vfs, box } = sandboxVfs();
    const opts = { at: box, sandbox: 'in-root' as const };
    expect(readAll(vfs, 'abs', opts)).toBe('box passwd');
    expect(readAll(vfs, '../../passwd', opts)).toBe('decoy');
    expect(readAll(vfs, 'rel-out', opts)).toBe('box passwd');
    expect(readAll(vfs, '/etc/passwd', opts)).toBe('box passwd');
  });

  it("'beneath-links-in-root' restarts absolute link targets at the root, and refuses the rest", () => {
    const { vfs, box } = sandboxVfs();
    const opts = { at: box, sandbox: 'beneath-links-in-root' as const };
    expect(readAll(vfs, 'abs', opts)).toBe('box passwd'); // "/etc/passwd" read from /box
    for (const p of ['..', '../etc/passwd', '/etc/passwd', 'rel-out', 'rel-out2', 'd/../..'])
      expect(() => vfs.lookup(p, opts), p).toThrow(SandboxEscapeError);
  });

  it('a symlink swapped in between lookup steps cannot lead out', () => {
    for (const mode of ['beneath', 'in-root'] as const) {
      for (const swapAt of ['d', 'x']) {
        const { vfs, fs, box } = sandboxVfs();
        // When the walk reaches `swapAt`, an attacker replaces /box/d by a symlink to /etc.
        fs.onLookup = (_dir, name) => {
          if (name !== swapAt) {
            fs.onLookup = (_d, n) => n === swapAt && swap();
            return;
          }
          swap();
        };
        const swap = () => {
          vfs.rename('/box/d', '/box/old-d');
          vfs.symlink('/etc', '/box/d');
        };
        let result: string;
        try {
          result = readAll(vfs, 'd/x', { at: box, sandbox: mode });
        } catch (e) {
          expect(e).toBeInstanceOf(KernelError);
          result = `errno ${(e as KernelError).errno}`;
        }
        // Either the old directory's file, a confined miss, or a refused escape: never /etc.
        expect(['inside', `errno ${Errno.ENOENT}`, `errno ${Errno.EXDEV}`], `${mode} ${swapAt}`).toContain(result);
        expect(result).not.toBe('secret');
      }
    }
  });
});

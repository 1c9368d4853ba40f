/// <reference types="node" />
// A simple in-memory model of a POSIX tree and a seeded random workload that applies the same
// operations to the model and to osv-ts's ZplWriter (create, sparse and overlapping writes,
// truncate, mkdir, rmdir, symlink, hard link, unlink, rename within and across directories
// with replacement, chmod). `expectedTree` gives the model in the shape test/tree.ts walks.
import { createHash } from 'node:crypto';
import type { ZplWriter } from '../src/zpl/zpl-writer.js';
import type { Node } from './tree.js';

interface Inode {
  data: Uint8Array;
  links: number;
  mode: number;
}
type MNode =
  | { kind: 'dir'; mode: number; children: Map<string, MNode> }
  | { kind: 'file'; ino: Inode }
  | { kind: 'symlink'; target: string };

export class Rng {
  private x: number;
  constructor(seed: number) {
    this.x = seed >>> 0 || 1;
  }
  next(): number {
    this.x ^= this.x << 13;
    this.x >>>= 0;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    this.x >>>= 0;
    return this.x / 2 ** 32;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    const kind = this.int(4);
    if (kind === 0) return b; // zeros: holes
    for (let i = 0; i < n; i++) b[i] = kind === 1 ? (i * 7) & 0x3f : this.int(256);
    return b;
  }
}

export class Model {
  readonly root: MNode & { kind: 'dir' } = { kind: 'dir', mode: 0o755, children: new Map() };

  /** Every path with its node, parents before children. */
  entries(): [string, MNode, MNode & { kind: 'dir' }][] {
    const out: [string, MNode, MNode & { kind: 'dir' }][] = [];
    const walk = (dir: MNode & { kind: 'dir' }, rel: string): void => {
      for (const [name, n] of dir.children) {
        const p = rel ? `${rel}/${name}` : name;
        out.push([p, n, dir]);
        if (n.kind === 'dir') walk(n, p);
      }
    };
    walk(this.root, '');
    return out;
  }

  dirs(): [string, MNode & { kind: 'dir' }][] {
    return [
      ['', this.root],
      ...this.entries()
        .filter((e): e is [string, MNode & { kind: 'dir' }, MNode & { kind: 'dir' }] => e[1].kind === 'dir')
        .map(([p, n]) => [p, n] as [string, MNode & { kind: 'dir' }]),
    ];
  }
}

export function expectedTree(m: Model): Map<string, Omit<Node, 'ino'>> {
  const out = new Map<string, Omit<Node, 'ino'>>();
  for (const [p, n] of m.entries()) {
    if (n.kind === 'dir') {
      const subdirs = [...n.children.values()].filter((c) => c.kind === 'dir').length;
      out.set(p, { type: 'dir', mode: n.mode, size: -1, nlink: 2 + subdirs });
    } else if (n.kind === 'symlink')
      out.set(p, {
        type: 'symlink',
        mode: 0o777,
        size: new TextEncoder().encode(n.target).length,
        nlink: 1,
        content: n.target,
      });
    else
      out.set(p, {
        type: 'file',
        mode: n.ino.mode,
        size: n.ino.data.length,
        nlink: n.ino.links,
        content: createHash('sha256').update(n.ino.data).digest('hex'),
      });
  }
  return out;
}

export function withoutIno(t: Map<string, Node>): Map<string, Omit<Node, 'ino'>> {
  return new Map(
    [...t].map(([p, n]) => {
      const { ino: _ino, ...rest } = n;
      return [p, rest];
    }),
  );
}

function resolve(zpl: ZplWriter, path: string): number {
  let obj = zpl.rootObj;
  for (const part of path.split('/').filter((x) => x !== '')) obj = zpl.lookup(obj, part).obj;
  return obj;
}

function split(path: string): [string, string] {
  const i = path.lastIndexOf('/');
  return i < 0 ? ['', path] : [path.slice(0, i), path.slice(i + 1)];
}

function writeModel(ino: Inode, offset: number, data: Uint8Array): void {
  const end = Math.max(ino.data.length, offset + data.length);
  const next = new Uint8Array(end);
  next.set(ino.data);
  next.set(data, offset);
  ino.data = next;
}

function resize(ino: Inode, size: number): void {
  const next = new Uint8Array(size);
  next.set(ino.data.subarray(0, Math.min(size, ino.data.length)));
  ino.data = next;
}

export interface StepOptions {
  /** Largest offset a write may start at (sparse files). */
  maxOffset: number;
  maxWrite: number;
}

let nameCounter = 0;

/** Applies one random operation to both the model and the file system; returns its name. */
export function randomStep(
  rng: Rng,
  m: Model,
  zpl: ZplWriter,
  o: StepOptions = { maxOffset: 1 << 20, maxWrite: 200_000 },
): string {
  const entries = m.entries();
  const files = entries.filter(([, n]) => n.kind === 'file') as [
    string,
    MNode & { kind: 'file' },
    MNode & { kind: 'dir' },
  ][];
  const dirs = m.dirs();
  const fresh = (): string =>
    `n${(nameCounter++).toString(36)}${rng.int(3) === 0 ? '-' + 'x'.repeat(rng.int(60)) : ''}`;
  const op = rng.int(11);
  switch (op) {
    case 0:
    case 1: {
      const [dp, dir] = rng.pick(dirs);
      const name = fresh();
      const data = rng.bytes(rng.int(o.maxWrite));
      const obj = zpl.create(resolve(zpl, dp), name, 0o644);
      zpl.write(obj, 0, data);
      dir.children.set(name, {
        kind: 'file',
        ino: { data: data.length > 0 ? data : new Uint8Array(0), links: 1, mode: 0o644 },
      });
      return 'create';
    }
    case 2: {
      if (files.length === 0) return 'noop';
      const [p, f] = rng.pick(files);
      const off = rng.int(2) === 0 ? rng.int(f.ino.data.length + 1) : rng.int(o.maxOffset);
      const data = rng.bytes(1 + rng.int(o.maxWrite));
      zpl.write(resolve(zpl, p), off, data);
      writeModel(f.ino, off, data);
      return 'write';
    }
    case 3: {
      if (files.length === 0) return 'noop';
      const [p, f] = rng.pick(files);
      const size = rng.int(2) === 0 ? rng.int(f.ino.data.length + 1) : rng.int(o.maxOffset);
      zpl.truncate(resolve(zpl, p), size);
      resize(f.ino, size);
      return 'truncate';
    }
    case 4: {
      const [dp, dir] = rng.pick(dirs);
      const name = fresh();
      zpl.mkdir(resolve(zpl, dp), name, 0o755);
      dir.children.set(name, { kind: 'dir', mode: 0o755, children: new Map() });
      return 'mkdir';
    }
    case 5: {
      const [dp, dir] = rng.pick(dirs);
      const name = fresh();
      const target = rng.int(2) === 0 ? `../t${rng.int(100)}` : `/long/${'y'.repeat(60 + rng.int(200))}`;
      zpl.symlink(resolve(zpl, dp), name, target);
      dir.children.set(name, { kind: 'symlink', target });
      return 'symlink';
    }
    case 6: {
      if (files.length === 0) return 'noop';
      const [p, f] = rng.pick(files);
      const [dp, dir] = rng.pick(dirs);
      const name = fresh();
      zpl.link(resolve(zpl, dp), name, resolve(zpl, p));
      f.ino.links++;
      dir.children.set(name, { kind: 'file', ino: f.ino });
      return 'link';
    }
    case 7: {
      const victims = entries.filter(([, n]) => n.kind !== 'dir');
      if (victims.length === 0) return 'noop';
      const [p, n, parent] = rng.pick(victims);
      const [dp, name] = split(p);
      zpl.unlink(resolve(zpl, dp), name);
      if (n.kind === 'file') n.ino.links--;
      parent.children.delete(name);
      return 'unlink';
    }
    case 8: {
      const empty = entries.filter(([, n]) => n.kind === 'dir' && n.children.size === 0);
      if (empty.length === 0) return 'noop';
      const [p, , parent] = rng.pick(empty);
      const [dp, name] = split(p);
      zpl.rmdir(resolve(zpl, dp), name);
      parent.children.delete(name);
      return 'rmdir';
    }
    case 9: {
      // Rename a non-directory, possibly over another non-directory, possibly across dirs.
      const movable = entries.filter(([, n]) => n.kind !== 'dir');
      if (movable.length === 0) return 'noop';
      const [p, n, parent] = rng.pick(movable);
      const [dp, dir] = rng.pick(dirs);
      const others = [...dir.children].filter(([, c]) => c.kind !== 'dir');
      const dname = others.length > 0 && rng.int(2) === 0 ? rng.pick(others)[0] : fresh();
      const [sp, sname] = split(p);
      zpl.rename(resolve(zpl, sp), sname, resolve(zpl, dp), dname);
      const replaced = dir.children.get(dname);
      if (replaced === n || (replaced?.kind === 'file' && n.kind === 'file' && replaced.ino === n.ino))
        return 'rename-self';
      if (replaced?.kind === 'file') replaced.ino.links--;
      parent.children.delete(sname);
      dir.children.set(dname, n);
      return 'rename';
    }
    default: {
      if (files.length === 0) return 'noop';
      const [p, f] = rng.pick(files);
      const mode = rng.pick([0o600, 0o644, 0o755, 0o4711]);
      zpl.setattr(resolve(zpl, p), { mode });
      f.ino.mode = mode;
      return 'chmod';
    }
  }
}

/** Builds the model of an existing file system (hard links share one inode). */
export function loadModel(zpl: ZplWriter): Model {
  const m = new Model();
  const inodes = new Map<number, Inode>();
  const walk = (obj: number, dir: MNode & { kind: 'dir' }): void => {
    for (const e of zpl.readdir(obj)) {
      const z = zpl.stat(e.obj);
      if (z.type === 'dir') {
        const d: MNode & { kind: 'dir' } = { kind: 'dir', mode: z.mode & 0o7777, children: new Map() };
        dir.children.set(e.name, d);
        walk(e.obj, d);
      } else if (z.type === 'symlink') dir.children.set(e.name, { kind: 'symlink', target: zpl.readlink(e.obj) });
      else {
        let ino = inodes.get(e.obj);
        if (!ino) {
          ino = { data: zpl.read(e.obj, 0, z.size), links: z.links, mode: z.mode & 0o7777 };
          inodes.set(e.obj, ino);
        }
        dir.children.set(e.name, { kind: 'file', ino });
      }
    }
  };
  walk(zpl.rootObj, m.root);
  return m;
}

/** Named operations on model and file system together (for scripted workloads). */
export class Scripted {
  constructor(
    readonly m: Model,
    readonly zpl: ZplWriter,
  ) {}
  private dirNode(path: string): MNode & { kind: 'dir' } {
    let n: MNode = this.m.root;
    for (const p of path.split('/').filter((x) => x !== '')) {
      if (n.kind !== 'dir') throw new Error(path);
      n = n.children.get(p)!;
    }
    if (n.kind !== 'dir') throw new Error(path);
    return n;
  }
  mkdir(path: string): number {
    const [dp, name] = split(path);
    const obj = this.zpl.mkdir(resolve(this.zpl, dp), name, 0o755);
    this.dirNode(dp).children.set(name, { kind: 'dir', mode: 0o755, children: new Map() });
    return obj;
  }
  file(path: string, data: Uint8Array): number {
    const [dp, name] = split(path);
    const obj = this.zpl.create(resolve(this.zpl, dp), name, 0o644);
    this.zpl.write(obj, 0, data);
    this.dirNode(dp).children.set(name, { kind: 'file', ino: { data: data.slice(), links: 1, mode: 0o644 } });
    return obj;
  }
  write(path: string, offset: number, data: Uint8Array): void {
    const [dp, name] = split(path);
    this.zpl.write(resolve(this.zpl, path), offset, data);
    const n = this.dirNode(dp).children.get(name)!;
    if (n.kind !== 'file') throw new Error(path);
    writeModel(n.ino, offset, data);
  }
  symlink(path: string, target: string): void {
    const [dp, name] = split(path);
    this.zpl.symlink(resolve(this.zpl, dp), name, target);
    this.dirNode(dp).children.set(name, { kind: 'symlink', target });
  }
  link(path: string, existing: string): void {
    const [dp, name] = split(path);
    const [ep, ename] = split(existing);
    this.zpl.link(resolve(this.zpl, dp), name, resolve(this.zpl, existing));
    const n = this.dirNode(ep).children.get(ename)!;
    if (n.kind !== 'file') throw new Error(existing);
    n.ino.links++;
    this.dirNode(dp).children.set(name, n);
  }
}

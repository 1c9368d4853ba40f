// An in-memory HostFs for manifest tests: paths map to files, directories (ordered names) and symlinks.
import type { HostFileKind, HostFs } from '../src/manifest/host-fs.js';

type Node =
  { kind: 'file'; data: Uint8Array } | { kind: 'dir' } | { kind: 'symlink'; target: string } | { kind: 'other' };

export class MemoryHostFs implements HostFs {
  readonly nodes = new Map<string, Node>();

  file(path: string, text: string): this {
    this.parents(path);
    this.nodes.set(path, { kind: 'file', data: new TextEncoder().encode(text) });
    return this;
  }
  dir(path: string): this {
    this.parents(path);
    this.nodes.set(path, { kind: 'dir' });
    return this;
  }
  symlink(path: string, target: string): this {
    this.parents(path);
    this.nodes.set(path, { kind: 'symlink', target });
    return this;
  }
  private parents(path: string): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (p !== '' && !this.nodes.has(p)) this.nodes.set(p, { kind: 'dir' });
    }
  }
  private norm(path: string): string {
    const out: string[] = [];
    for (const part of path.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') out.pop();
      else out.push(part);
    }
    return (path.startsWith('/') ? '/' : '') + out.join('/');
  }
  private resolve(path: string, follow: boolean, depth = 0): [string, Node] | undefined {
    const parts = this.norm(path).split('/');
    let cur = parts[0] === '' ? '' : '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === '' && i === 0) continue;
      cur = cur === '' && !path.startsWith('/') ? part : `${cur}/${part}`;
      const n = this.nodes.get(cur);
      if (!n) return undefined;
      if (n.kind === 'symlink' && (i < parts.length - 1 || follow)) {
        if (depth > 20) return undefined;
        const base = cur.slice(0, cur.lastIndexOf('/'));
        const target = n.target.startsWith('/') ? n.target : `${base}/${n.target}`;
        const r = this.resolve(
          target + (i < parts.length - 1 ? '/' + parts.slice(i + 1).join('/') : ''),
          follow,
          depth + 1,
        );
        return r;
      }
    }
    const n = this.nodes.get(cur);
    return n ? [cur, n] : undefined;
  }
  lstat(path: string): HostFileKind | undefined {
    return this.resolve(path, false)?.[1].kind;
  }
  stat(path: string): HostFileKind | undefined {
    return this.resolve(path, true)?.[1].kind;
  }
  readdir(path: string): string[] {
    const r = this.resolve(path, true);
    if (!r || r[1].kind !== 'dir') throw new Error(`not a directory: ${path}`);
    const prefix = r[0] + '/';
    return [...this.nodes.keys()]
      .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
      .map((k) => k.slice(prefix.length));
  }
  readlink(path: string): string {
    const n = this.resolve(path, false)?.[1];
    if (!n || n.kind !== 'symlink') throw new Error(`not a symlink: ${path}`);
    return n.target;
  }
  realpath(path: string): string | undefined {
    const r = this.resolve(path, true)?.[0];
    return r === undefined ? undefined : r.startsWith('/') ? r : `/${r}`;
  }
  readFile(path: string, options: { noFollow?: boolean } = {}): Uint8Array {
    const n = this.resolve(path, !options.noFollow)?.[1];
    if (n?.kind === 'symlink') throw new Error(`ELOOP: ${path} is a symlink (O_NOFOLLOW)`);
    if (!n || n.kind !== 'file') throw new Error(`not a file: ${path}`);
    return n.data;
  }
  /** Turns `path` into a FIFO-like node (neither file, directory nor symlink). */
  other(path: string): this {
    this.parents(path);
    this.nodes.set(path, { kind: 'other' });
    return this;
  }
}

/// <reference types="node" />
// Walks a directory tree through node:fs (a FUSE mount) and through osv-ts's ZPL, producing the
// same comparable description: path → {type, mode, size, nlink, ino, target | sha256}.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ZplFilesystem } from '../src/zpl/zpl.js';
import { O_DIRECTORY, O_RDONLY, VType, type Vfs } from '@osv-ts/vfs';

export interface Node {
  type: string;
  mode: number;
  size: number;
  nlink: number;
  ino: number;
  content?: string;
}

const hash = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export function walkFs(root: string, skip: (rel: string) => boolean = () => false): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const p = join(root, r);
      const st = lstatSync(p);
      const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      const n: Node = {
        type,
        mode: st.mode & 0o7777,
        size: type === 'dir' ? -1 : st.size,
        nlink: st.nlink,
        ino: st.ino,
      };
      if (type === 'file') n.content = hash(readFileSync(p));
      if (type === 'symlink') n.content = readlinkSync(p);
      out.set(r, n);
      if (type === 'dir') walk(r);
    }
  };
  walk('');
  return out;
}

export function walkZpl(fs: ZplFilesystem, skip: (rel: string) => boolean = () => false): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (dir: number, rel: string): void => {
    for (const e of fs.readdir(dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip(r)) continue;
      const z = fs.stat(e.obj);
      if (z.type !== e.type) throw new Error(`${r}: dirent type ${e.type} but znode type ${z.type}`);
      const type = z.type === 'dir' || z.type === 'symlink' || z.type === 'file' ? z.type : 'other';
      const n: Node = { type, mode: z.mode & 0o7777, size: type === 'dir' ? -1 : z.size, nlink: z.links, ino: e.obj };
      if (type === 'file') n.content = hash(fs.read(e.obj, 0, z.size));
      if (type === 'symlink') n.content = fs.readlink(e.obj);
      out.set(r, n);
      if (type === 'dir') walk(e.obj, r);
    }
  };
  walk(fs.rootObj, '');
  return out;
}

/** The same description, taken through an @osv-ts/vfs mount. */
export function walkVfs(vfs: Vfs, skip: (rel: string) => boolean = () => false): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (rel: string): void => {
    const f = vfs.open(`/${rel}`, O_RDONLY | O_DIRECTORY);
    const names: string[] = [];
    for (let e = f.readdir(2); e; e = f.readdir(e.next)) names.push(e.name);
    f.close();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const st = vfs.lstat(`/${r}`);
      const type =
        st.type === VType.VDIR ? 'dir' : st.type === VType.VLNK ? 'symlink' : st.type === VType.VREG ? 'file' : 'other';
      const n: Node = {
        type,
        mode: st.mode & 0o7777,
        size: type === 'dir' ? -1 : st.size,
        nlink: st.nlink,
        ino: st.ino,
      };
      if (type === 'file') {
        const file = vfs.open(`/${r}`, O_RDONLY);
        const buf = new Uint8Array(st.size);
        let at = 0;
        while (at < buf.length) {
          const got = file.read(buf.subarray(at, Math.min(buf.length, at + 65536)));
          if (got === 0) break;
          at += got;
        }
        file.close();
        n.content = hash(buf.subarray(0, at));
      }
      if (type === 'symlink') n.content = vfs.readlink(`/${r}`);
      out.set(r, n);
      if (type === 'dir') walk(r);
    }
  };
  walk('');
  return out;
}

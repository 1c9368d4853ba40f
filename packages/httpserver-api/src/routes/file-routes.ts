// The `file` group (OSv api/file.cc, WebHDFS-like): read, list and stat files; make directories,
// rename, copy, write and delete. Every path is the rest of the URL after /file, normalised
// here; a `..` that would climb above the guest's root is refused with 400 rather than clamped,
// so a client learns its path was wrong. POST is OSv's multipart upload: the form's `file` part
// goes to a temporary file in the target's directory, which is then renamed over the target,
// so a reader never sees a half-written file.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { O_APPEND, O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY, VType, type Stat, type Vfs } from '@osv-ts/vfs';
import { badParam, serverError } from '../http/http-error.js';
import { multipartBoundary, parseMultipart } from '../http/multipart.js';
import { json, required, type ParamSpec, type RouteContext, type Route } from '../route.js';

const pathParam = {
  name: 'path-par',
  paramType: 'path',
  type: 'string',
  required: true,
  description: 'Full path of file or directory',
} as const;

/** The absolute guest path a URL names: `.` dropped, `..` applied, never above `/`. */
export function confinePath(raw: string): string {
  const out: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw badParam(`${raw}: the path climbs out of the guest's root`);
      out.pop();
    } else out.push(part);
  }
  return '/' + out.join('/');
}

function vfsOf(ctx: RouteContext): Vfs {
  const vfs = ctx.guest.vfs;
  if (!vfs) throw serverError('this kernel has no vfs module', Errno.ENOSYS);
  return vfs;
}

const TYPE_NAMES: Partial<Record<VType, string>> = { [VType.VDIR]: 'DIRECTORY', [VType.VLNK]: 'SYMLINK' };

/** OSv's FileStatusProperties of one path (lstat: a symlink is reported as itself). */
export function fileStatus(vfs: Vfs, path: string, name: string, st: Stat = vfs.lstat(path)): Record<string, unknown> {
  let symlink = '';
  if (st.type === VType.VLNK) {
    try {
      symlink = vfs.readlink(path);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
    }
  }
  return {
    accessTime: Number(st.atimeNs / 1_000_000_000n),
    blockSize: st.blksize,
    group: st.gid === 0 ? 'osv' : String(st.gid),
    length: st.size,
    modificationTime: Number(st.mtimeNs / 1_000_000_000n),
    owner: st.uid === 0 ? 'osv' : String(st.uid),
    pathSuffix: name,
    permission: (st.mode & 0o777).toString(8),
    replication: st.nlink,
    symlink,
    type: TYPE_NAMES[st.type] ?? 'FILE',
  };
}

function readAll(vfs: Vfs, path: string): Uint8Array {
  const f = vfs.open(path, O_RDONLY);
  try {
    if (f.stat().type === VType.VDIR) throw badParam(`${path} is a directory`);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(64 * 1024);
      const n = f.read(buf);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } finally {
    f.close();
  }
}

function listDir(vfs: Vfs, dir: string): string[] {
  const f = vfs.open(dir, O_RDONLY | O_DIRECTORY);
  try {
    const names: string[] = [];
    for (let e = f.readdir(0); e; e = f.readdir(e.next)) if (e.name !== '.' && e.name !== '..') names.push(e.name);
    return names.sort();
  } finally {
    f.close();
  }
}

/** fnmatch(3) of `*` and `?` (OSv's LISTSTATUS wildcards in the last component). */
function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

const join = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);
const parentOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';
const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

function mkdirs(vfs: Vfs, path: string, perm: number, createParent: boolean): void {
  if (!createParent) {
    vfs.mkdir(path, perm);
    return;
  }
  let at = '';
  for (const part of path.split('/').slice(1)) {
    at += `/${part}`;
    try {
      vfs.mkdir(at, perm);
    } catch (e) {
      if (!(e instanceof KernelError) || e.errno !== Errno.EEXIST) throw e;
    }
  }
}

function removeTree(vfs: Vfs, path: string, recursive: boolean): void {
  const st = vfs.lstat(path);
  if (st.type !== VType.VDIR) {
    vfs.unlink(path);
    return;
  }
  if (recursive) for (const name of listDir(vfs, path)) removeTree(vfs, join(path, name), true);
  vfs.rmdir(path);
}

function writeFile(vfs: Vfs, path: string, data: Uint8Array, flags: number, perm: number): void {
  const f = vfs.open(path, O_WRONLY | O_CREAT | flags, perm);
  try {
    for (let at = 0; at < data.length;) at += f.write(data.subarray(at));
  } finally {
    f.close();
  }
}

function permission(ctx: RouteContext): number {
  const p = ctx.params.get('permission') ?? '0777';
  if (!/^[0-7]{1,4}$/.test(p)) throw badParam(`bad permission '${p}' (an octal number)`);
  return parseInt(p, 8);
}

const flag = (ctx: RouteContext, name: string): boolean => ctx.params.get(name) === 'true';

/** The required `op` query parameter of a file route, with the operations it takes. */
function opParam(...ops: string[]): ParamSpec {
  return { name: 'op', paramType: 'query', type: 'string', required: true, description: 'request type', enum: ops };
}

let uploadSerial = 0;

/**
 * OSv's upload: the multipart `file` part into `path` (or, when `path` is a directory, into the
 * part's file name there), through a temporary file in the same directory and a rename.
 */
function upload(ctx: RouteContext): void {
  const vfs = vfsOf(ctx);
  const parts = parseMultipart(ctx.request.body, multipartBoundary(ctx.request.headers.get('content-type') ?? ''));
  const part = parts.find((p) => p.name === 'file');
  if (!part) throw badParam('Missing mandatory parameter: file (a multipart/form-data part)');
  let target = confinePath(required(ctx, 'path-par'));
  if (isDirectory(vfs, target)) {
    // The client's file name is only a last component here: no way up or sideways.
    const name = baseName((part.filename ?? '').replace(/\\/g, '/'));
    if (name === '' || name === '.' || name === '..')
      throw badParam(`${target} is a directory and the upload names no file`);
    target = join(target, name);
  }
  if (target === '/') throw badParam('will not replace the root');
  const temp = join(parentOf(target), `.${baseName(target)}.upload-${++uploadSerial}`);
  try {
    writeFile(vfs, temp, part.data, O_TRUNC, 0o666);
    vfs.rename(temp, target);
  } catch (e) {
    try {
      vfs.unlink(temp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
}

function isDirectory(vfs: Vfs, path: string): boolean {
  try {
    return vfs.stat(path).type === VType.VDIR;
  } catch (e) {
    if (e instanceof KernelError && e.errno === Errno.ENOENT) return false;
    throw e;
  }
}

export const fileRoutes: readonly Route[] = [
  {
    group: 'file',
    method: 'GET',
    path: '/file/{path-par}',
    rest: true,
    nickname: 'getFile',
    summary: 'Get File/Directory information',
    type: 'string',
    params: [
      pathParam,
      opParam('GET', 'LISTSTATUS', 'GETFILESTATUS'),
      {
        name: 'offset',
        paramType: 'query',
        type: 'long',
        required: false,
        description: 'declared as OSv declares it; not read',
      },
      {
        name: 'length',
        paramType: 'query',
        type: 'long',
        required: false,
        description: 'declared as OSv declares it; not read',
      },
    ],
    handle: (ctx) => {
      const vfs = vfsOf(ctx);
      const op = required(ctx, 'op');
      const path = confinePath(required(ctx, 'path-par'));
      switch (op) {
        case 'GET':
          return { raw: readAll(vfs, path), contentType: 'application/octet-stream' };
        case 'GETFILESTATUS':
          return json(fileStatus(vfs, path, baseName(path)));
        case 'LISTSTATUS': {
          const last = baseName(path);
          if (/[*?]/.test(last)) {
            const dir = parentOf(path);
            const re = globToRegExp(last);
            return json(
              listDir(vfs, dir)
                .filter((n) => re.test(n))
                .map((n) => fileStatus(vfs, join(dir, n), n)),
            );
          }
          if (vfs.stat(path).type !== VType.VDIR) return json([fileStatus(vfs, path, last)]);
          return json(listDir(vfs, path).map((n) => fileStatus(vfs, join(path, n), n)));
        }
        default:
          throw badParam(`Unknown op ${op}`);
      }
    },
  },
  {
    group: 'file',
    method: 'DELETE',
    path: '/file/{path-par}',
    rest: true,
    nickname: 'delFile',
    summary: 'Delete a file or a directory',
    type: 'void',
    mutates: true,
    params: [
      pathParam,
      opParam('DELETE'),
      {
        name: 'recursive',
        paramType: 'query',
        type: 'boolean',
        required: false,
        description: 'delete a directory and everything in it',
      },
    ],
    handle: (ctx) => {
      const op = required(ctx, 'op');
      if (op !== 'DELETE') throw badParam(`Unknown op ${op}`);
      const path = confinePath(required(ctx, 'path-par'));
      if (path === '/') throw badParam('will not delete the root');
      removeTree(vfsOf(ctx), path, flag(ctx, 'recursive'));
      return json('');
    },
  },
  {
    group: 'file',
    method: 'PUT',
    path: '/file/{path-par}',
    rest: true,
    nickname: 'putFile',
    summary: 'Make a directory, rename, copy or write a file',
    type: 'void',
    mutates: true,
    params: [
      pathParam,
      opParam('MKDIRS', 'RENAME', 'COPY', 'WRITE'),
      {
        name: 'permission',
        paramType: 'query',
        type: 'string',
        required: false,
        description: 'octal permission (default 0777)',
      },
      {
        name: 'destination',
        paramType: 'query',
        type: 'string',
        required: false,
        description: 'target path of RENAME and COPY',
      },
      {
        name: 'createParent',
        paramType: 'query',
        type: 'boolean',
        required: false,
        description: 'MKDIRS: make missing parents',
      },
      {
        name: 'overwrite',
        paramType: 'query',
        type: 'boolean',
        required: false,
        description: 'WRITE: truncate first (else append)',
      },
      { name: 'content', paramType: 'query', type: 'string', required: false, description: 'WRITE: the data' },
    ],
    handle: (ctx) => {
      const vfs = vfsOf(ctx);
      const op = required(ctx, 'op');
      const path = confinePath(required(ctx, 'path-par'));
      switch (op) {
        case 'MKDIRS':
          mkdirs(vfs, path, permission(ctx), flag(ctx, 'createParent'));
          break;
        case 'RENAME':
          vfs.rename(path, confinePath(required(ctx, 'destination')));
          break;
        case 'COPY': {
          const data = readAll(vfs, path);
          writeFile(vfs, confinePath(required(ctx, 'destination')), data, O_TRUNC, vfs.stat(path).mode & 0o777);
          break;
        }
        case 'WRITE': {
          const data = new TextEncoder().encode(ctx.params.get('content') ?? '');
          writeFile(vfs, path, data, flag(ctx, 'overwrite') ? O_TRUNC : O_APPEND, permission(ctx));
          break;
        }
        default:
          throw badParam(`Unknown op ${op}`);
      }
      return json('');
    },
  },
  {
    group: 'file',
    method: 'POST',
    path: '/file/{path-par}',
    rest: true,
    nickname: 'upload',
    summary: 'Upload a file (multipart/form-data part "file"), written aside and renamed into place',
    type: 'void',
    mutates: true,
    params: [
      pathParam,
      { name: 'file', paramType: 'form', type: 'File', required: true, description: 'the file to upload' },
    ],
    handle: (ctx) => {
      upload(ctx);
      return json('');
    },
  },
];

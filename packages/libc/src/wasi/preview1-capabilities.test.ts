// Every directory fd is a capability: paths are resolved from it, and nothing resolved through
// it lies outside the tree beneath it. Expectations from the WASI preview1 docs (path arguments
// are relative to the directory fd) and from wasmtime, whose cap-std refuses an absolute path,
// a ".." above the fd, any symlink leading out and any absolute symlink with EPERM
// (p1_interesting_paths expects ERRNO_PERM; node:wasi/uvwasi says ENOTCAPABLE instead), and
// refuses path_symlink with an absolute target (p1_symlink_create). The one rule of our own:
// through the root preopen "/", an absolute symlink target restarts at "/" (README).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WasiFsHarness } from '../../test/wasi-fs-harness.js';
import { VType } from '@osv-ts/vfs';
import { Rights as R } from './preview1-types.js';
import { WasiErrno as E } from './wasi-errno.js';

const DIRECTORY = 2;
const CREAT = 1;

function vm(): WasiFsHarness {
  return new WasiFsHarness(['/'], (h) => {
    const { vfs } = h;
    for (const d of ['/secret', '/data', '/data/inner', '/etc', '/usr', '/usr/share', '/usr/share/zoneinfo'])
      vfs.mkdir(d);
    h.writeFile('/secret/key', 'top secret');
    h.writeFile('/data/inner/ok.txt', 'fine');
    h.writeFile('/usr/share/zoneinfo/UTC', 'TZif');
    vfs.symlink('/secret/key', '/data/abs-link');
    vfs.symlink('/data/inner/ok.txt', '/data/abs-inside'); // absolute, though it names a file inside
    vfs.symlink('../secret/key', '/data/rel-escape');
    vfs.symlink('../data/inner/ok.txt', '/data/rel-roundtrip'); // leaves /data, then comes back
    vfs.symlink('inner/ok.txt', '/data/rel-ok');
    vfs.symlink('..', '/data/inner/up');
    vfs.symlink('/usr/share/zoneinfo/UTC', '/etc/localtime'); // how images carry them
    vfs.symlink('../../usr/share/zoneinfo/UTC', '/etc/over'); // climbs above "/"
  });
}

const ino = (h: WasiFsHarness, path: string): bigint => BigInt(h.vfs.stat(path).ino);

describe('a directory fd opened with path_open is a capability for its own subtree', () => {
  it('resolves paths that stay inside, however they wander', () => {
    const h = vm();
    const d = h.open(3, 'data', { oflags: DIRECTORY }).fd;
    const ok = ino(h, '/data/inner/ok.txt');
    for (const p of ['inner/ok.txt', 'rel-ok', 'inner/../inner/ok.txt', './/inner///ok.txt', 'inner/up/rel-ok'])
      expect({ p, ...h.pathStat(d, p) }).toEqual({ p, errno: E.SUCCESS, ino: ok });
    expect(h.read(h.open(d, 'rel-ok').fd).text).toBe('fine');
  });

  it('refuses with EPERM an absolute path, a ".." above it, and a symlink that leads out', () => {
    const h = vm();
    const d = h.open(3, 'data', { oflags: DIRECTORY }).fd;
    for (const p of [
      '/secret/key',
      '/data/inner/ok.txt', // absolute, even though it names a file inside (wasmtime: EPERM)
      '/',
      '..',
      '../secret/key',
      '../data/inner/ok.txt', // wasmtime p1_interesting_paths: "too many .." is EPERM, not ENOENT
      'inner/../../secret/key',
      'inner/../../..', // the issue's `dir/../../..`: was ENOENT
      'abs-link',
      'abs-inside',
      'rel-escape',
      'rel-roundtrip',
    ]) {
      expect({ p, errno: h.pathStat(d, p).errno }).toEqual({ p, errno: E.PERM });
      expect({ p, errno: h.open(d, p).errno }).toEqual({ p, errno: E.PERM });
    }
    // Not following the final symlink, the link itself is inside and may be looked at.
    expect(h.pathStat(d, 'abs-link', false)).toEqual({
      errno: E.SUCCESS,
      ino: BigInt(h.vfs.lstat('/data/abs-link').ino),
    });
    expect(h.readlink(d, 'abs-link')).toEqual({ errno: E.SUCCESS, target: '/secret/key' });
    expect(h.open(d, 'abs-link', { follow: false }).errno).toBe(E.LOOP);
  });

  it('is its own capability, not its parent\'s: from data/inner, ".." is already out', () => {
    const h = vm();
    const inner = h.open(3, 'data/inner', { oflags: DIRECTORY }).fd;
    expect(h.pathStat(inner, 'ok.txt').errno).toBe(E.SUCCESS);
    expect(h.pathStat(inner, '..').errno).toBe(E.PERM);
    expect(h.pathStat(inner, '../rel-ok').errno).toBe(E.PERM);
    expect(h.pathStat(inner, 'up').errno).toBe(E.PERM); // a symlink to ".."
    expect(h.pathStat(inner, 'up', false).errno).toBe(E.SUCCESS);
    // A directory opened through it is confined further still.
    const again = h.open(inner, '.', { oflags: DIRECTORY }).fd;
    expect(h.pathStat(again, 'ok.txt').errno).toBe(E.SUCCESS);
    expect(h.pathStat(again, '../inner/ok.txt').errno).toBe(E.PERM);
  });

  it('every path_* call refuses a path that leaves the fd, and nothing outside changes', () => {
    const h = vm();
    const d = h.open(3, 'data', { oflags: DIRECTORY }).fd;
    const escapes: [string, () => number][] = [
      ['path_open creat', () => h.open(d, '../new', { oflags: CREAT }).errno],
      ['path_open creat, absolute', () => h.open(d, '/new', { oflags: CREAT }).errno],
      ['path_create_directory', () => h.pathCall('path_create_directory', d, '../newdir')],
      ['path_create_directory, absolute', () => h.pathCall('path_create_directory', d, '/newdir')],
      ['path_remove_directory', () => h.pathCall('path_remove_directory', d, '../secret')],
      ['path_unlink_file', () => h.pathCall('path_unlink_file', d, '../secret/key')],
      ['path_unlink_file via symlinked dir', () => h.pathCall('path_unlink_file', d, 'inner/up/../secret/key')],
      ['path_rename out', () => h.rename(d, 'inner/ok.txt', d, '../stolen')],
      ['path_rename in', () => h.rename(d, '../secret/key', d, 'stolen')],
      ['path_link out', () => h.link(d, 'inner/ok.txt', d, '../linked')],
      ['path_link in', () => h.link(d, '../secret/key', d, 'linked')],
      ['path_link in, following a symlink', () => h.link(d, 'rel-escape', d, 'linked', true)],
      ['path_symlink placed outside', () => h.symlink('x', d, '../planted')],
      ['path_readlink', () => h.readlink(d, '../etc/localtime').errno],
      ['path_filestat_get', () => h.pathStat(d, '../secret/key').errno],
      ['path_filestat_set_times', () => h.setTimes(d, '../secret/key')],
      ['path_filestat_set_times via symlink', () => h.setTimes(d, 'abs-link', true)],
    ];
    for (const [name, run] of escapes) expect({ name, errno: run() }).toEqual({ name, errno: E.PERM });
    expect(h.list('/')).toEqual(['data', 'etc', 'secret', 'usr']);
    expect(h.list('/secret')).toEqual(['key']);
    expect(h.list('/data')).toEqual(['abs-inside', 'abs-link', 'inner', 'rel-escape', 'rel-ok', 'rel-roundtrip']);
    expect(new TextDecoder().decode(h.vfs.readFile('/secret/key'))).toBe('top secret');
  });
});

describe('the root preopen "/" is the top of the VM namespace', () => {
  it('follows the image\'s absolute symlinks from "/" (wasmtime would refuse them)', () => {
    const h = vm();
    expect(h.pathStat(3, 'etc/localtime')).toEqual({ errno: E.SUCCESS, ino: ino(h, '/usr/share/zoneinfo/UTC') });
    expect(h.read(h.open(3, 'etc/localtime').fd).text).toBe('TZif');
    expect(h.pathStat(3, 'data/abs-link')).toEqual({ errno: E.SUCCESS, ino: ino(h, '/secret/key') });
  });

  it('still refuses, as wasmtime does, absolute paths and ".." above "/" (Linux would clamp at "/")', () => {
    const h = vm();
    for (const p of ['/etc/localtime', '/', '..', '../etc', 'data/../..', 'data/inner/up/../..', 'etc/over'])
      expect({ p, errno: h.pathStat(3, p).errno }).toEqual({ p, errno: E.PERM });
  });

  it('passes none of that on: a directory opened through it, even ".", refuses absolute symlinks', () => {
    const h = vm();
    const dot = h.open(3, '.', { oflags: DIRECTORY }).fd;
    expect(h.pathStat(dot, 'etc/localtime').errno).toBe(E.PERM);
    expect(h.pathStat(dot, 'usr/share/zoneinfo/UTC').errno).toBe(E.SUCCESS);
    const etc = h.open(3, 'etc', { oflags: DIRECTORY }).fd;
    expect(h.pathStat(etc, 'localtime').errno).toBe(E.PERM);
    // fd_renumber keeps what the descriptor is: the preopen, moved, still follows them.
    expect(h.fn.fd_renumber!(3, etc)).toBe(E.SUCCESS);
    expect(h.pathStat(etc, 'etc/localtime').errno).toBe(E.SUCCESS);
  });

  it('a second preopen of a subdirectory is a capability for that subtree only', () => {
    const h = new WasiFsHarness(['/data'], (h) => {
      h.vfs.mkdir('/data');
      h.vfs.mkdir('/secret');
      h.writeFile('/secret/key', 's');
      h.vfs.symlink('/secret/key', '/data/abs');
    });
    expect(h.pathStat(3, 'abs').errno).toBe(E.PERM);
    expect(h.pathStat(3, '../secret/key').errno).toBe(E.PERM);
    expect(h.pathStat(3, '/secret/key').errno).toBe(E.PERM);
  });
});

describe('path_symlink', () => {
  it('refuses an absolute target through every fd, the root preopen included (wasmtime p1_symlink_create)', () => {
    const h = vm();
    const d = h.open(3, 'data', { oflags: DIRECTORY }).fd;
    expect(h.symlink('/', 3, 'l')).toBe(E.PERM);
    expect(h.symlink('/', d, 'l')).toBe(E.PERM);
    expect(h.symlink('/secret/key', d, 'l')).toBe(E.PERM);
    expect(h.list('/').includes('l')).toBe(false);
    expect(h.list('/data').includes('l')).toBe(false);
  });

  it('creates a relative link that points out, but nothing can follow it out', () => {
    const h = vm();
    const d = h.open(3, 'data', { oflags: DIRECTORY }).fd;
    expect(h.symlink('../secret/key', d, 'out')).toBe(E.SUCCESS);
    expect(h.readlink(d, 'out')).toEqual({ errno: E.SUCCESS, target: '../secret/key' });
    expect(h.open(d, 'out').errno).toBe(E.PERM);
    expect(h.symlink('inner/ok.txt', d, 'in')).toBe(E.SUCCESS);
    expect(h.read(h.open(d, 'in').fd).text).toBe('fine');
  });
});

// ---- property: nothing resolved through a directory fd lies outside its subtree ------------

// A uniform tree (every directory has subdirectories p and q, four levels deep, and a file f)
// so that random paths resolve often; symlinks l0/l1 with random targets are added to it.
const DIRS: string[] = [];
for (let level = [''], depth = 0; depth < 4; depth++) {
  level = level.flatMap((d) => [`${d}/p`, `${d}/q`]);
  DIRS.push(...level);
}
const PARTS = ['p', 'q', 'p', 'q', 'f', 'l0', 'l1', '.', '..', ''];

const pathArb = fc
  .tuple(fc.integer({ min: 0, max: 4 }), fc.array(fc.constantFrom(...PARTS), { minLength: 1, maxLength: 5 }))
  .map(([absolute, parts]) => (absolute === 0 ? '/' : '') + parts.join('/'));
const linkArb = fc.record({
  dir: fc.constantFrom('', ...DIRS),
  name: fc.constantFrom('l0', 'l1'),
  target: pathArb,
});

/** The inode numbers of `dir` and everything beneath it, not following symlinks. */
function subtree(h: WasiFsHarness, dir: string): Set<bigint> {
  const out = new Set<bigint>([BigInt(h.vfs.lstat(dir).ino)]);
  for (const name of h.list(dir)) {
    const p = `${dir === '/' ? '' : dir}/${name}`;
    const st = h.vfs.lstat(p);
    out.add(BigInt(st.ino));
    if (st.type === VType.VDIR) for (const i of subtree(h, p)) out.add(i);
  }
  return out;
}

describe('containment (property)', () => {
  it('random paths through a random directory fd, in random trees of symlinks, never resolve outside it', () => {
    let inside = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.array(linkArb, { maxLength: 8 }),
        fc.constantFrom('p', 'p/q', 'q/p'),
        fc.array(fc.tuple(pathArb, fc.boolean()), { minLength: 1, maxLength: 25 }),
        (links, start, queries) => {
          const h = new WasiFsHarness(['/'], (h) => {
            for (const d of DIRS) h.vfs.mkdir(d);
            for (const d of ['', ...DIRS]) h.writeFile(`${d}/f`, d);
            for (const l of links) {
              try {
                h.vfs.symlink(l.target, `${l.dir}/${l.name}`);
              } catch {
                // the name is taken by an earlier link
              }
            }
          });
          const fd = h.open(3, start, { oflags: DIRECTORY }).fd;
          expect(fd).toBeGreaterThan(3);
          const allowed = subtree(h, `/${start}`);
          for (const [path, follow] of queries) {
            const r = h.pathStat(fd, path, follow);
            if (r.errno === E.SUCCESS) {
              expect({ start, path, follow, inside: allowed.has(r.ino) }).toEqual({
                start,
                path,
                follow,
                inside: true,
              });
              inside++;
            } else {
              expect([E.PERM, E.NOENT, E.NOTDIR, E.LOOP]).toContain(r.errno);
              if (r.errno === E.PERM) refused++;
            }
            const o = h.open(fd, path, { follow, base: R.FD_FILESTAT_GET, inheriting: 0 });
            if (o.errno === E.SUCCESS) {
              expect({ start, path, inside: allowed.has(h.filestat(o.fd).ino) }).toEqual({ start, path, inside: true });
              h.fn.fd_close!(o.fd);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
    // The generator reaches both outcomes often: the property is not vacuous.
    expect(inside).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });
});

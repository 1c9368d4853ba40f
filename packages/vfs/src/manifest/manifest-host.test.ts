/// <reference types="node" />
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StepClock, dec } from '../../test/helpers.js';
import { nodeHostFs } from '../../test/node-host-fs.js';
import { Rofs } from '../fs/rofs/rofs.js';
import { writeRofsImage } from '../fs/rofs/rofs-writer.js';
import { MemoryBlockDevice } from '../memory-block-device.js';
import { O_RDONLY } from '../open-flags.js';
import { Vfs } from '../vfs.js';
import { ManifestError, ManifestSourceError } from './manifest-error.js';
import { parseManifest } from './manifest-parser.js';
import { planManifest } from './manifest-plan.js';
import { toRofsTree } from './manifest-tree.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('manifest over the host file system', () => {
  it('builds a ROFS image from real files, globs and host symlinks; tree links stay links', () => {
    mkdirSync(join(dir, 'app/lib/sub'), { recursive: true });
    mkdirSync(join(dir, 'secret'));
    writeFileSync(join(dir, 'secret/shadow'), 'root:$6$hash\n');
    writeFileSync(join(dir, 'app/main.wasm'), 'wasm');
    writeFileSync(join(dir, 'app/lib/a.txt'), 'a');
    writeFileSync(join(dir, 'app/lib/sub/b.txt'), 'b');
    symlinkSync('a.txt', join(dir, 'app/lib/alias'));
    symlinkSync(join(dir, 'secret/shadow'), join(dir, 'app/lib/shadow'));
    symlinkSync('/nonexistent-target', join(dir, 'app/dangling'));
    mkdirSync(join(dir, 'empty'));
    const text = [
      '[manifest]',
      '/app.wasm: %(base)s/app/main.wasm',
      '/lib/**: %(base)s/app/lib/**',
      '/tmp: %(base)s/empty',
      '/kept: !%(base)s/app/lib/alias',
      '/dangling: %(base)s/app/dangling',
    ].join('\n');
    const plan = planManifest(parseManifest(text, { base: dir }), nodeHostFs);
    expect(plan.warnings).toEqual([]);
    const vfs = new Vfs({ clock: new StepClock() });
    vfs.mountRoot(new Rofs(new MemoryBlockDevice(writeRofsImage(toRofsTree(plan, nodeHostFs)))));
    const read = (p: string) => {
      const b = new Uint8Array(16);
      return dec(b.subarray(0, vfs.open(p, O_RDONLY).read(b)));
    };
    expect(read('/app.wasm')).toBe('wasm');
    expect(read('/lib/sub/b.txt')).toBe('b');
    // A host symlink found by the glob stays a symlink: a relative one still works in the guest,
    // and one that leaves the tree points at the guest's path, never at the host's file.
    expect(vfs.readlink('/lib/alias')).toBe('a.txt');
    expect(read('/lib/alias')).toBe('a');
    expect(vfs.readlink('/lib/shadow')).toBe(join(dir, 'secret/shadow'));
    expect(() => read('/lib/shadow')).toThrow();
    expect(vfs.readlink('/kept')).toBe('a.txt');
    expect(vfs.readlink('/dangling')).toBe('/nonexistent-target');
    expect(vfs.stat('/tmp').nlink).toBe(2);
  });

  it('a named symlink out of its directory is copied with a warning naming the line', () => {
    symlinkSync(join(dir, 'secret/shadow'), join(dir, 'app/config'));
    const plan = planManifest(parseManifest(`/a: ${dir}/app/main.wasm\n/config: ${dir}/app/config`), nodeHostFs);
    expect(plan.warnings).toEqual([
      {
        line: 2,
        message: `/config: ${dir}/app/config is a symlink that leads out of ${dir}/app to ${dir}/secret/shadow; its content is copied (write !${dir}/app/config to keep the link)`,
      },
    ]);
  });

  it('refuses a FIFO, which a copy would block on', () => {
    mkdirSync(join(dir, 'pipes'));
    execFileSync('mkfifo', [join(dir, 'pipes/fifo')]);
    expect(() => planManifest(parseManifest(`/p/**: ${dir}/pipes/**`), nodeHostFs)).toThrow(ManifestError);
    expect(() => planManifest(parseManifest(`/p/**: ${dir}/pipes/**`), nodeHostFs)).toThrow(
      /line 1: .*fifo: not a regular file, directory or symlink/,
    );
  });

  it('a tree file swapped for a symlink after planning is not read through the link (O_NOFOLLOW)', () => {
    mkdirSync(join(dir, 'race'));
    writeFileSync(join(dir, 'race/f'), 'innocent');
    const plan = planManifest(parseManifest(`/r/**: ${dir}/race/**`), nodeHostFs);
    unlinkSync(join(dir, 'race/f'));
    symlinkSync(join(dir, 'secret/shadow'), join(dir, 'race/f'));
    expect(() => writeRofsImage(toRofsTree(plan, nodeHostFs))).toThrow(/^line 1: \/r\/f: cannot read .*race\/f: ELOOP/);
    expect(() => writeRofsImage(toRofsTree(plan, nodeHostFs))).toThrow(ManifestSourceError);
  });
});

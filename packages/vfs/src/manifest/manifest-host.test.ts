/// <reference types="node" />
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
import { resolveManifest } from './manifest-expand.js';
import { parseManifest } from './manifest-parser.js';
import { toRofsTree } from './manifest-tree.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('manifest over the host file system', () => {
  it('builds a ROFS image from real files, globs and host symlinks', () => {
    mkdirSync(join(dir, 'app/lib/sub'), { recursive: true });
    writeFileSync(join(dir, 'app/main.wasm'), 'wasm');
    writeFileSync(join(dir, 'app/lib/a.txt'), 'a');
    writeFileSync(join(dir, 'app/lib/sub/b.txt'), 'b');
    symlinkSync('a.txt', join(dir, 'app/lib/alias'));
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
    const entries = resolveManifest(parseManifest(text, { base: dir }), nodeHostFs);
    const tree = toRofsTree(entries, nodeHostFs);
    const vfs = new Vfs({ clock: new StepClock() });
    vfs.mountRoot(new Rofs(new MemoryBlockDevice(writeRofsImage(tree))));
    const read = (p: string) => {
      const b = new Uint8Array(16);
      return dec(b.subarray(0, vfs.open(p, O_RDONLY).read(b)));
    };
    expect(read('/app.wasm')).toBe('wasm');
    expect(read('/lib/sub/b.txt')).toBe('b');
    // A host symlink found by the glob is replaced by its target's content...
    expect(read('/lib/alias')).toBe('a');
    // ...unless "!" keeps it, or it cannot be resolved (the script keeps the link then).
    expect(vfs.readlink('/kept')).toBe('a.txt');
    expect(vfs.readlink('/dangling')).toBe('/nonexistent-target');
    expect(vfs.stat('/tmp').nlink).toBe(2);
  });
});

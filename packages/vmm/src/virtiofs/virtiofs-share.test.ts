// A host directory through the whole stack on one thread: the VFS, the virtiofs file system,
// the guest driver, virtqueues in guest RAM, the device model and NodeFsBackend. What the guest
// writes the host sees, and the other way round; errno reaches the guest as the host gave it.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { VirtioFsDevice, type VirtioFsDriver } from '@osv-ts/drivers-virtio';
import { O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, type Vfs, type VirtioFs } from '@osv-ts/vfs';
import { NODE_FS_MAX_WRITE_BYTES, NodeFsBackend, type NodeFsBackendOptions } from './node-fs-backend.js';
import { mountShare } from './test/share-under-test.js';

let host: string;
let backend: NodeFsBackend;

/** A monotonic clock the test moves by hand (for the entry/attr timeouts). */
class ManualClock {
  ns = 1_000_000_000;
  monotonicNs(): number {
    return this.ns;
  }
}

function boot(
  readOnly = false,
  options: NodeFsBackendOptions = {},
  clock?: ManualClock,
): { vfs: Vfs; device: VirtioFsDevice; driver: VirtioFsDriver; fs: VirtioFs } {
  backend = new NodeFsBackend(host, { readOnly, ...options });
  const device = new VirtioFsDevice('virtiofs0', 'share0', backend);
  const { vfs, driver, fs } = mountShare(device, clock ? { clock } : {});
  return { vfs, device, driver, fs };
}

function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
  return 0;
}

beforeEach(() => {
  host = mkdtempSync(join(tmpdir(), 'osv-virtiofs-share-'));
});

afterEach(() => {
  backend.close();
  rmSync(host, { recursive: true, force: true });
});

describe('virtiofs over virtio-fs, end to end', () => {
  it('reads the tag, and what the guest writes the host sees (and back)', () => {
    writeFileSync(join(host, 'in.txt'), 'from the host');
    const { vfs, driver } = boot();
    expect(driver.tag).toBe('share0');
    expect(new TextDecoder().decode(vfs.readFile('/data/in.txt'))).toBe('from the host');
    vfs.writeFile('/data/out.txt', new TextEncoder().encode('from the guest'));
    expect(readFileSync(join(host, 'out.txt'), 'utf8')).toBe('from the guest');
    writeFileSync(join(host, 'out.txt'), 'changed on the host, longer');
    expect(vfs.stat('/data/out.txt').size).toBe(27);
    expect(new TextDecoder().decode(vfs.readFile('/data/out.txt'))).toBe('changed on the host, longer');
  });

  it('moves a large file both ways intact, in requests of at most max_write', () => {
    const { vfs, device, driver } = boot(false, { maxWriteBytes: 128 * 1024 });
    expect(driver.maxIoBytes).toBe(128 * 1024);
    const data = new Uint8Array(1 << 20).map((_, i) => (i * 31 + (i >> 12)) & 0xff);
    vfs.writeFile('/data/big.bin', data);
    expect(Buffer.compare(readFileSync(join(host, 'big.bin')), Buffer.from(data))).toBe(0);
    const back = vfs.readFile('/data/big.bin');
    expect(Buffer.compare(Buffer.from(back), Buffer.from(data))).toBe(0);
    expect(device.counters.writtenBytes).toBe(1 << 20);
    expect(device.counters.requests).toBeGreaterThanOrEqual(16); // 1 MiB / 128 KiB writes + reads
  });

  it('agrees to 1 MiB READ/WRITE by default, so a 1 MiB write crosses in one request', () => {
    const { vfs, device, driver } = boot();
    expect(driver.maxIoBytes).toBe(NODE_FS_MAX_WRITE_BYTES);
    const fd = vfs.open('/data/one.bin', O_CREAT | O_WRONLY, 0o644);
    const before = device.counters.requests;
    const data = new Uint8Array(1 << 20).fill(7);
    expect(fd.write(data)).toBe(1 << 20);
    expect(device.counters.requests - before).toBe(1);
    fd.close();
    expect(readFileSync(join(host, 'one.bin')).length).toBe(1 << 20);
  });

  it('does mkdir, readdir, rename, symlink, link, unlink, rmdir and truncate as the host shows', () => {
    const { vfs } = boot();
    vfs.mkdir('/data/d', 0o755);
    vfs.writeFile('/data/d/a', new TextEncoder().encode('aaaa'));
    vfs.rename('/data/d/a', '/data/d/b');
    vfs.symlink('b', '/data/d/l');
    vfs.link('/data/d/b', '/data/d/h');
    expect(existsSync(join(host, 'd', 'a'))).toBe(false);
    expect(readFileSync(join(host, 'd', 'h'), 'utf8')).toBe('aaaa');
    expect(vfs.readlink('/data/d/l')).toBe('b');
    expect(new TextDecoder().decode(vfs.readFile('/data/d/l'))).toBe('aaaa');
    expect(vfs.stat('/data/d/b').nlink).toBe(2);
    const names: string[] = [];
    const dir = vfs.lookup('/data/d');
    for (let c = 0, e; (e = vfs.readdirVnode(dir, c)) !== null; c = e.next) names.push(e.name);
    expect(names.sort()).toEqual(['.', '..', 'b', 'h', 'l']);
    vfs.truncate('/data/d/b', 2);
    expect(readFileSync(join(host, 'd', 'b'), 'utf8')).toBe('aa');
    expect(errnoOf(() => vfs.rmdir('/data/d'))).toBe(Errno.ENOTEMPTY);
    for (const n of ['b', 'h', 'l']) vfs.unlink(`/data/d/${n}`);
    vfs.rmdir('/data/d');
    expect(existsSync(join(host, 'd'))).toBe(false);
  });

  it('gives the guest errno as the host gave it', () => {
    mkdirSync(join(host, 'dir'));
    const { vfs } = boot();
    expect(errnoOf(() => vfs.open('/data/missing', O_RDONLY))).toBe(Errno.ENOENT);
    expect(errnoOf(() => vfs.mkdir('/data/dir', 0o755))).toBe(Errno.EEXIST);
    expect(errnoOf(() => vfs.open('/data/dir', O_WRONLY))).toBe(Errno.EISDIR);
    expect(errnoOf(() => vfs.open('/data/dir/x/y', O_CREAT | O_RDWR, 0o644))).toBe(Errno.ENOENT);
  });

  it('a read-only share refuses writes with EROFS and still reads', () => {
    writeFileSync(join(host, 'keep.txt'), 'keep');
    const { vfs } = boot(true);
    expect(new TextDecoder().decode(vfs.readFile('/data/keep.txt'))).toBe('keep');
    expect(errnoOf(() => vfs.writeFile('/data/new.txt', Uint8Array.of(1)))).toBe(Errno.EROFS);
    expect(errnoOf(() => vfs.open('/data/keep.txt', O_WRONLY))).toBe(Errno.EROFS);
    expect(errnoOf(() => vfs.mkdir('/data/d', 0o755))).toBe(Errno.EROFS);
    expect(errnoOf(() => vfs.unlink('/data/keep.txt'))).toBe(Errno.EROFS);
    expect(readFileSync(join(host, 'keep.txt'), 'utf8')).toBe('keep');
    expect(existsSync(join(host, 'new.txt'))).toBe(false);
  });

  it('a guest symlink pointing out of the share resolves inside the guest, never on the host', () => {
    const { vfs } = boot();
    vfs.writeFile('/secret', new TextEncoder().encode('guest root file'));
    vfs.symlink('/secret', '/data/out');
    vfs.symlink('../../../../etc/passwd', '/data/up');
    expect(new TextDecoder().decode(vfs.readFile('/data/out'))).toBe('guest root file');
    expect(errnoOf(() => vfs.readFile('/data/up'))).toBe(Errno.ENOENT); // the guest has no /etc/passwd
  });
});

describe('virtiofs caches as the device allows (entry_valid / attr_valid)', () => {
  it('answers a repeated stat from the cache until the timeout, then asks the host again', () => {
    writeFileSync(join(host, 'f'), 'four');
    const clock = new ManualClock();
    const { vfs, device, fs } = boot(false, { cacheTimeoutMs: 1000 }, clock);
    expect(vfs.stat('/data/f').size).toBe(4);
    const before = device.counters.requests;
    expect(vfs.stat('/data/f').size).toBe(4);
    expect(device.counters.requests).toBe(before); // name and attributes from the cache
    expect(fs.counters.entryHits).toBeGreaterThan(0);
    writeFileSync(join(host, 'f'), 'changed by another'); // another guest, or the host
    clock.ns += 999_000_000;
    expect(vfs.stat('/data/f').size).toBe(4); // within the timeout: the cached size (cache=auto)
    clock.ns += 1_000_000;
    expect(vfs.stat('/data/f').size).toBe(18); // expired: asked again
  });

  it('never shows this guest stale attributes after its own writes, truncates or unlinks', () => {
    const clock = new ManualClock();
    const { vfs } = boot(false, { cacheTimeoutMs: 60_000 }, clock);
    vfs.writeFile('/data/g', new Uint8Array(10));
    const mtime = vfs.stat('/data/g').mtimeNs;
    const f = vfs.open('/data/g', O_WRONLY);
    f.pwrite(new Uint8Array(100), 5000);
    f.close();
    expect(vfs.stat('/data/g').size).toBe(5100);
    expect(vfs.stat('/data/g').size).toBe(statSync(join(host, 'g')).size);
    expect(vfs.stat('/data/g').mtimeNs).toBe(statSync(join(host, 'g'), { bigint: true }).mtimeNs);
    expect(vfs.stat('/data/g').mtimeNs >= mtime).toBe(true);
    vfs.truncate('/data/g', 7);
    expect(vfs.stat('/data/g').size).toBe(7);
    vfs.unlink('/data/g');
    expect(errnoOf(() => vfs.stat('/data/g'))).toBe(Errno.ENOENT);
    vfs.writeFile('/data/g', new Uint8Array(3));
    expect(vfs.stat('/data/g').size).toBe(3);
    vfs.rename('/data/g', '/data/h');
    expect(errnoOf(() => vfs.stat('/data/g'))).toBe(Errno.ENOENT);
    expect(vfs.stat('/data/h').size).toBe(3);
  });

  it('finds a name another writer created at once (no negative cache), and opens re-read attributes', () => {
    const clock = new ManualClock();
    const { vfs } = boot(false, { cacheTimeoutMs: 60_000 }, clock);
    expect(errnoOf(() => vfs.stat('/data/late'))).toBe(Errno.ENOENT);
    writeFileSync(join(host, 'late'), 'x');
    expect(vfs.stat('/data/late').size).toBe(1);
    writeFileSync(join(host, 'late'), 'closed by another guest');
    vfs.open('/data/late', O_RDONLY).close(); // close-to-open: the next stat asks the host
    expect(vfs.stat('/data/late').size).toBe(23);
  });

  it('with a timeout of 0 (cache=none) every stat goes to the host', () => {
    writeFileSync(join(host, 'f'), 'four');
    const { vfs, device } = boot(false, { cacheTimeoutMs: 0 }, new ManualClock());
    vfs.stat('/data/f');
    const before = device.counters.requests;
    vfs.stat('/data/f');
    expect(device.counters.requests - before).toBe(2); // LOOKUP and GETATTR
  });

  it('reads straight into the reply buffer (the device fast path) with the bytes intact', () => {
    const data = new Uint8Array(3 << 19).map((_, i) => (i * 7 + (i >> 10)) & 0xff);
    writeFileSync(join(host, 'big'), data);
    const { vfs, device } = boot();
    const direct = vi.spyOn(backend, 'readInto');
    expect(Buffer.compare(Buffer.from(vfs.readFile('/data/big')), Buffer.from(data))).toBe(0);
    expect(direct).toHaveBeenCalled();
    expect(device.counters.readBytes).toBe(data.length);
    expect(errnoOf(() => vfs.readFile('/data/nope'))).toBe(Errno.ENOENT);
  });
});

describe('virtio-fs on a device thread', () => {
  it('describes a NodeFsBackend share as a device spec the thread rebuilds, its options included', async () => {
    const { deviceThreadSpec } = await import('../device-thread/device-spec.js');
    const { buildDevice } = await import('../device-thread/device-factory.js');
    backend = new NodeFsBackend(host, { readOnly: true, maxWriteBytes: 65536 });
    const spec = deviceThreadSpec(new VirtioFsDevice('virtiofs0', 'share0', backend));
    expect(spec).toEqual({
      kind: 'virtio-fs',
      name: 'virtiofs0',
      tag: 'share0',
      root: host,
      options: { readOnly: true, maxWriteBytes: 65536 },
    });
    const rebuilt = buildDevice(spec!).device as VirtioFsDevice;
    expect(rebuilt.tag).toBe('share0');
    expect((rebuilt.backend as NodeFsBackend).readOnly).toBe(true);
    expect((rebuilt.backend as NodeFsBackend).options.maxWriteBytes).toBe(65536);
    (rebuilt.backend as NodeFsBackend).close();
  });
});

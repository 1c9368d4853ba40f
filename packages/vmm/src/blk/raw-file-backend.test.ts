// The raw-file back-end: overlapped async requests land where they should; host I/O errors
// come back as errors for the request (the device turns them into VIRTIO_BLK_S_IOERR).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RawFileBackend } from './raw-file-backend.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-raw-'));

const call = (f: (done: (e?: Error) => void) => void): Promise<Error | undefined> =>
  new Promise((resolve) => f(resolve));

describe('RawFileBackend', () => {
  it('completes many overlapped writes and reads into shared memory, each in its place', async () => {
    const path = join(dir, 'disk.raw');
    writeFileSync(path, new Uint8Array(1 << 20));
    const b = RawFileBackend.open(path);
    const ram = new Uint8Array(new SharedArrayBuffer(1 << 20));
    for (let i = 0; i < ram.length; i++) ram[i] = (i * 7 + (i >> 12)) & 0xff;
    const writes = Array.from({ length: 64 }, (_, i) =>
      call((d) => b.write(i * 16384, ram.subarray(i * 16384, (i + 1) * 16384), d)),
    );
    expect((await Promise.all(writes)).every((e) => e === undefined)).toBe(true);
    expect(await call((d) => b.flush(d))).toBeUndefined();
    expect(Buffer.compare(readFileSync(path), ram)).toBe(0);
    const back = new Uint8Array(new SharedArrayBuffer(1 << 20));
    const reads = Array.from({ length: 64 }, (_, i) =>
      call((d) => b.read(i * 16384, back.subarray(i * 16384, (i + 1) * 16384), d)),
    );
    await Promise.all(reads);
    expect(Buffer.compare(back, ram)).toBe(0);
    expect(await call((d) => b.writeZeroes(4096, 8192, d))).toBeUndefined();
    expect(
      readFileSync(path)
        .subarray(4096, 4096 + 8192)
        .every((x) => x === 0),
    ).toBe(true);
    b.close();
  });

  it('fails a request when the host I/O fails, and refuses writes when read-only', async () => {
    const path = join(dir, 'ro.raw');
    writeFileSync(path, new Uint8Array(65536));
    const ro = RawFileBackend.open(path, true);
    expect(await call((d) => ro.write(0, new Uint8Array(512), d))).toBeInstanceOf(Error);
    const dirAsFile = RawFileBackend.open(dir, true); // reading a directory fails with EISDIR
    const e = await call((d) => dirAsFile.read(0, new Uint8Array(512), d));
    expect(e?.message).toMatch(/EISDIR/);
    expect(dirAsFile.counters.errors).toBe(1);
  });
});

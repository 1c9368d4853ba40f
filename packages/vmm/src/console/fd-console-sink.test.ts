// The stdout/stderr console back-end against real descriptors: a file takes every byte in
// order; /dev/full fails with ENOSPC once and for all (EPIPE from a real pipe is tested end to
// end in tools/osv/test/host-io.test.ts).
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Errno } from '@osv-ts/kernel-api';
import { FdConsoleSink } from './fd-console-sink.js';

describe('FdConsoleSink', () => {
  it('writes every byte, in order, to a file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'osv-sink-')), 'out');
    const fd = openSync(path, 'w');
    const sink = new FdConsoleSink(fd);
    const chunks = Array.from({ length: 50 }, (_, i) => new Uint8Array(1000 + i).fill(i));
    for (const c of chunks) sink.write(c);
    closeSync(fd);
    expect(sink.errno).toBeUndefined();
    expect(new Uint8Array(readFileSync(path))).toEqual(new Uint8Array(Buffer.concat(chunks)));
    expect(sink.bytesWritten).toBe(chunks.reduce((n, c) => n + c.length, 0));
  });

  it('records ENOSPC from /dev/full and drops what comes after', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const sink = new FdConsoleSink(fd);
      sink.write(new Uint8Array(10));
      expect(sink.errno).toBe(Errno.ENOSPC);
      expect(sink.errorCode).toBe('ENOSPC');
      expect(sink.errorText).toBe('ENOSPC: no space left on device');
      sink.write(new Uint8Array(10));
      expect(sink.bytesWritten).toBe(0);
    } finally {
      closeSync(fd);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { MemoryBlockDevice } from '@osv-ts/vfs';
import { NoBootRecordError, writeBootCommandLine } from './boot-command-line.js';

const enc = new TextEncoder();

/**
 * A disk laid out as osv build writes it (vmm's firmware/boot-record.ts): MBR entry 0 of type
 * 0xda at sector 8, a 4096-byte header, then kernel, cmdline, bootfs and identity, each padded
 * to 4 KiB. Only the fields the writer reads are filled; the VM test checks the real layout.
 */
function imageDisk(cmdline: string, readOnly = false) {
  const sections = [new Uint8Array(5000).fill(7), enc.encode(cmdline), new Uint8Array(100).fill(9), enc.encode('{}')];
  const align = (n: number) => Math.ceil(n / 4096) * 4096;
  const recordBytes = 4096 + sections.reduce((n, s) => n + align(s.length), 0);
  const disk = new Uint8Array(4096 + recordBytes);
  const mbr = new DataView(disk.buffer);
  mbr.setUint8(0x1be + 4, 0xda);
  mbr.setUint32(0x1be + 8, 8, true);
  mbr.setUint32(0x1be + 12, recordBytes / 512, true);
  disk[0x1fe] = 0x55;
  disk[0x1ff] = 0xaa;
  const base = 4096;
  disk.set(enc.encode('OSVTBOOT'), base);
  mbr.setUint32(base + 8, 2, true);
  mbr.setUint32(base + 12, 4096, true);
  let at = 4096;
  sections.forEach((s, i) => {
    mbr.setBigUint64(base + 16 + i * 16, BigInt(at), true);
    mbr.setBigUint64(base + 24 + i * 16, BigInt(s.length), true);
    disk.set(s, base + at);
    at += align(s.length);
  });
  const cmdlineOf = () => {
    const off = Number(mbr.getBigUint64(base + 32, true));
    const len = Number(mbr.getBigUint64(base + 40, true));
    return new TextDecoder().decode(disk.subarray(base + off, base + off + len));
  };
  const section = (i: number) => {
    const off = Number(mbr.getBigUint64(base + 16 + i * 16, true));
    const len = Number(mbr.getBigUint64(base + 24 + i * 16, true));
    return disk.slice(base + off, base + off + len);
  };
  return { device: new MemoryBlockDevice(disk, 'vblk0', readOnly), cmdlineOf, section, sections };
}

describe('writeBootCommandLine', () => {
  it('rewrites the command line in place, longer or shorter, leaving the other sections alone', () => {
    const d = imageDisk('/hello.wasm');
    writeBootCommandLine(d.device, '--verbose /hello.wasm a b c');
    expect(d.cmdlineOf()).toBe('--verbose /hello.wasm a b c');
    writeBootCommandLine(d.device, '/x');
    expect(d.cmdlineOf()).toBe('/x');
    const long = 'é'.repeat(1023);
    writeBootCommandLine(d.device, long);
    expect(d.cmdlineOf()).toBe(long);
    for (const i of [0, 2, 3]) expect(d.section(i)).toEqual(d.sections[i]);
  });

  it('refuses a command line larger than the area the record reserves (ENOSPC)', () => {
    const d = imageDisk('/hello.wasm');
    const e = (() => {
      try {
        writeBootCommandLine(d.device, 'x'.repeat(4097));
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(KernelError);
    expect((e as KernelError).errno).toBe(Errno.ENOSPC);
    expect(d.cmdlineOf()).toBe('/hello.wasm');
  });

  it('a disk without an osv-ts boot record is NoBootRecordError; a read-only image fails in the device', () => {
    expect(() => writeBootCommandLine(new MemoryBlockDevice(new Uint8Array(65536), 'vblk0'), 'x')).toThrow(
      NoBootRecordError,
    );
    const ro = imageDisk('/a', true);
    expect(() => writeBootCommandLine(ro.device, '/b')).toThrow(KernelError);
    expect(ro.cmdlineOf()).toBe('/a');
  });
});

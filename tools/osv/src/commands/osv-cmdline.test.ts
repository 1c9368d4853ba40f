import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli-error.js';
import { capabilitiesForOptions, checkCommandLine } from './osv-cmdline.js';

const FS = ['ramfs', 'rofs', 'zfs'];
const check = (cmdline: string, maxBytes = 1023) => checkCommandLine(cmdline, { name: '-e', maxBytes }, FS);
const failure = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('checkCommandLine', () => {
  it('returns the loader options and each command’s program', () => {
    const c = check('--cwd=/tmp --mount-fs=zfs,osv/data,/data /a.wasm x; /b.wasm "y z" & /c.wasm');
    expect(c.options.cwd).toBe('/tmp');
    expect(c.programs).toEqual(['/a.wasm', '/b.wasm', '/c.wasm']);
    expect(capabilitiesForOptions(c.options)).toEqual([
      { capability: 'vfs', reason: '--cwd' },
      { capability: 'fs:zfs', reason: '--mount-fs=zfs,...' },
    ]);
  });

  it('measures the limit in UTF-8 bytes, not characters', () => {
    expect(check(`/a.wasm ${'é'.repeat(500)}`).programs).toEqual(['/a.wasm']); // 1008 bytes
    expect(failure(() => check(`/a.wasm ${'é'.repeat(508)}`))).toBe(
      "command line too long (-e): 1024 bytes, the most that fits is 1023 (OSv's 1023 less the VMM's device tokens)",
    );
  });

  it('names the byte offset of an unterminated quote, whatever precedes it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zé]{0,20}$/), (word) => {
        const prefix = `--env=A=${word} /app.wasm ${word} `;
        const at = new TextEncoder().encode(prefix).length;
        expect(failure(() => check(`${prefix}"open`))).toBe(`-e: unterminated quoted string at byte ${at}: "open`);
      }),
    );
  });

  it('refuses what the kernel would ignore or reject, naming the option', () => {
    expect(failure(() => check('--rootfs=ext /a.wasm'))).toBe(
      "-e: --rootfs=ext: unknown file system 'ext' (osv-ts has ramfs, rofs, zfs)",
    );
    expect(failure(() => check('--mount-fs=zfs,only-two /a.wasm'))).toBe(
      "-e: bad value 'zfs,only-two' for option mount-fs, expected in format: <fs_type,url,path>",
    );
    expect(failure(() => check('--nosuch /a.wasm'))).toBe('-e: unrecognized option: --nosuch');
  });
});

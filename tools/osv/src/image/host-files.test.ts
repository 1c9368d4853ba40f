import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, UsageError } from '../cli-error.js';
import { checkOutputPath, readRegularFile, writeAtomically } from './host-files.js';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'osv-host-files-'));

describe('writeAtomically', () => {
  it('puts the output in place only when the write completes, with no file left beside it', async () => {
    const dir = fresh();
    const out = join(dir, 'out.img');
    writeFileSync(out, 'old image');
    const seen = await writeAtomically(out, '-o', (temp) => {
      expect(readFileSync(out, 'utf8')).toBe('old image'); // untouched while the new one is written
      writeFileSync(temp, 'new image');
      return readdirSync(dir).length;
    });
    expect(seen).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('new image');
    expect(readdirSync(dir)).toEqual(['out.img']);
  });

  it('a failed write leaves the old file and no temporary file, and names the option', async () => {
    const dir = fresh();
    const out = join(dir, 'out.img');
    writeFileSync(out, 'old image');
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
    });
    await expect(
      writeAtomically(out, '-o', (temp) => {
        writeFileSync(temp, 'half');
        throw enospc;
      }),
    ).rejects.toThrow(new CliError(`-o ${out}: ENOSPC: no space left on device`));
    expect(readdirSync(dir)).toEqual(['out.img']);
    expect(readFileSync(out, 'utf8')).toBe('old image');
  });
});

describe('checkOutputPath and readRegularFile', () => {
  it('refuse a missing directory, a directory and a device', () => {
    const dir = fresh();
    expect(() => checkOutputPath(join(dir, 'no', 'x.img'), '-o')).toThrow(CliError);
    expect(() => checkOutputPath(dir, '-o')).toThrow(UsageError);
    expect(() => checkOutputPath('/dev/null', '-o')).toThrow(`-o /dev/null: is a character device, not a regular file`);
    expect(() => readRegularFile('/dev/zero', '--file /z')).toThrow(
      '--file /z: /dev/zero is a character device, not a regular file',
    );
    expect(() => readRegularFile(join(dir, 'missing'), '--file /m')).toThrow(
      /cannot read .*missing: ENOENT: no such file or directory$/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { Errno, errnoName, KernelError, FormatError } from './index.js';

describe('errno', () => {
  it('uses Linux numbers and names them', () => {
    expect(Errno.ENOENT).toBe(2);
    expect(Errno.EAGAIN).toBe(11);
    expect(Errno.ENOSYS).toBe(38);
    expect(Errno.ELOOP).toBe(40);
    expect(errnoName(28)).toBe('ENOSPC');
    expect(errnoName(4242)).toBe('E4242');
    expect(new Set(Object.values(Errno)).size).toBe(Object.keys(Errno).length);
  });

  it('KernelError carries the errno and names it in the message', () => {
    const e = new KernelError(Errno.EROFS, 'mount is read-only');
    expect(e.errno).toBe(30);
    expect(e.message).toBe('EROFS: mount is read-only');
    expect(new FormatError('rofs', 'inode count', 16, 'too large').message).toBe(
      'rofs: inode count at offset 16: too large',
    );
  });
});

// The error a sandboxed lookup throws when the path tries to leave its root (by "..", an
// absolute path or an absolute symlink). Linux's openat2(RESOLVE_BENEATH) answers EXDEV; WASI
// calls it ENOTCAPABLE, so libc recognises this class and maps it.
import { Errno, KernelError } from '@osv-ts/kernel-api';

export class SandboxEscapeError extends KernelError {
  constructor(
    readonly path: string,
    readonly how: 'dotdot' | 'absolute-path' | 'absolute-symlink',
  ) {
    super(Errno.EXDEV, `lookup of ${JSON.stringify(path)} escapes its sandbox root (${how})`);
  }
}

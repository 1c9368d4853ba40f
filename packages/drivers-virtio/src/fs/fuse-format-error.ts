// The one error a FUSE codec raises: bytes that do not form the message they claim to be. It
// names the field and its offset (STYLE.md "Formats apart from state machines") and carries
// EIO, the errno a FUSE client reports for a malformed reply.
import { Errno, KernelError } from '@osv-ts/kernel-api';

export class FuseFormatError extends KernelError {
  constructor(
    readonly field: string,
    readonly offset: number,
    detail: string,
  ) {
    super(Errno.EIO, `FUSE message: ${field} at offset ${offset}: ${detail}`);
  }
}

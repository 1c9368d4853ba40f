// The kernel's one exception type: every failure that reaches an app carries an errno.
import { errnoName } from './errno.js';

export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    /** Linux errno value (see `Errno`). */
    readonly errno: number,
    message?: string,
  ) {
    super(message ? `${errnoName(errno)}: ${message}` : errnoName(errno));
  }
}

/** Bad bytes from outside (an image, a packet, a wasm or ELF file): names the field and offset. */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  constructor(
    readonly format: string,
    readonly field: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${format}: ${field} at offset ${offset}: ${detail}`);
  }
}

/** A byte-stream console (virtio-console port, a host stream, a test buffer). */
export interface Console {
  /**
   * Queues `data` for output. Returns once the bytes are owned by the console (copied);
   * may block the caller while the device's buffers are full. Throws KernelError with the errno
   * (EPIPE, ENOSPC, EIO) once the host could not deliver earlier output: like a pipe without a
   * reader, a console whose output failed keeps failing.
   */
  write(data: Uint8Array): void;
  /**
   * Blocks until everything written so far has left the guest (reached the device); throws
   * KernelError as `write` does when the host could not deliver it.
   */
  flush(): void;
  /**
   * Reads available input into `into`; returns the number of bytes read, 0 at end of input,
   * or -1 when no input is available yet (the caller may wait on `readable`).
   */
  read?(into: Uint8Array): number;
  /** True when the console is a terminal (isatty). */
  readonly isTerminal: boolean;
}

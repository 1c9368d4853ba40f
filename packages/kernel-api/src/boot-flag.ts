// BootInfo.flags: what the VMM tells the kernel about the host side of the consoles. Part of
// the boot ABI (machine-abi.ts); here so that a VMM can set them without loading the kernel.

/** Bits of BootInfo.flags. */
export const BootFlag = {
  /** The host's stdin is a terminal (the guest's stdin is a tty). */
  STDIN_TTY: 1,
  STDOUT_TTY: 2,
  STDERR_TTY: 4,
  /** The host feeds console0's input (otherwise the guest's stdin reads end of input). */
  STDIN_CONNECTED: 8,
} as const;

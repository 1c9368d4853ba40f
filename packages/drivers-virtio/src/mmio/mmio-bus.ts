/**
 * How the guest reaches device registers: a trapped access that the VMM completes before
 * returning (a synchronous VM exit), plus the posted doorbell for the fast-path words.
 */
export interface MmioBus {
  read(address: number, size: 1 | 2 | 4): number;
  write(address: number, size: 1 | 2 | 4, value: number): void;
  /**
   * A posted write: it may reach the device later, but before the next read, write or doorbell
   * on this bus, and in order (PCI's ordering rule: a read never passes a posted write). For
   * runs of setup writes that a read ends (§3.1.1, §4.2.3.2), so the run costs one trap.
   */
  post(address: number, size: 1 | 2 | 4, value: number): void;
  /**
   * Delivers the posted writes now (no-op when there are none): before the guest signals the
   * device through a word in guest RAM, which does not go through the bus and so would pass them.
   */
  flush(): void;
  /** Wakes the VMM after the guest posted to a fast-path word (QueueNotify bitmap). */
  ringDoorbell(): void;
}

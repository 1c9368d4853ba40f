/**
 * How the guest reaches device registers: a trapped access that the VMM completes before
 * returning (a synchronous VM exit), plus the posted doorbell for the fast-path words.
 */
export interface MmioBus {
  read(address: number, size: 1 | 2 | 4): number;
  write(address: number, size: 1 | 2 | 4, value: number): void;
  /** Wakes the VMM after the guest posted to a fast-path word (QueueNotify bitmap). */
  ringDoorbell(): void;
}

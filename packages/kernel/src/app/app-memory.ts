// The app's WebAssembly memory as part of guest RAM (`-m` caps all guest memory, docs/architecture.md §1).
// A wasm Memory is its own buffer, outside the guest RAM SharedArrayBuffer, so the kernel
// accounts for it instead: at load the module's memory maximum is capped to what guest RAM has
// left after the kernel (elf-linker's capModuleMemory), that maximum is reserved in the page
// allocator so the kernel's own allocations can never take it, and the pages the app really
// uses are charged whenever the kernel reports memory (/proc/meminfo) and at exit. Free memory
// therefore falls as the app grows, and kernel + app never exceed -m.
import { PAGE_SIZE, type PageAllocator, type PageReservation } from '@osv-ts/core-sched';
import { MAX_MEMORY32_PAGES, WASM_PAGE_BYTES, type MemoryLimits } from '@osv-ts/elf-linker';

const MIB = 1024 * 1024;

/**
 * Guest RAM kept for the kernel while an app runs: 1/32 of RAM, at least 1 MiB. Today the
 * kernel's guest-RAM allocations (virtqueues, I/O buffers, the trace ring) all happen at boot;
 * this is room for ones made while the app runs.
 */
export function kernelReserveBytes(ramBytes: number): number {
  return Math.max(MIB, Math.floor(ramBytes / 32 / PAGE_SIZE) * PAGE_SIZE);
}

/** What runWasmApp asks of the memory budget (see wasm-app.ts). */
export interface AppMemoryBudget {
  /** The most pages the app's memory may have. */
  readonly capPages: number;
  /** The app's memory limits after the cap: holds their maximum back for the app. */
  admit(limits: MemoryLimits): void;
  /** The app's memory, once it exists. */
  attach(memory: WebAssembly.Memory): void;
}

export class AppMemoryAccount implements AppMemoryBudget {
  readonly capPages: number;
  private reservation: PageReservation | undefined;
  private memory: WebAssembly.Memory | undefined;

  constructor(
    private readonly pages: PageAllocator,
    ramBytes: number,
  ) {
    const room = Math.max(0, pages.availableBytes - kernelReserveBytes(ramBytes));
    this.capPages = Math.min(MAX_MEMORY32_PAGES, Math.floor(room / WASM_PAGE_BYTES));
  }

  admit(limits: MemoryLimits): void {
    this.reservation?.release();
    // capModuleMemory made maxPages <= capPages, which fits in availableBytes.
    this.reservation = this.pages.reserve((limits.maxPages ?? this.capPages) * WASM_PAGE_BYTES);
  }

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.sync();
  }

  /** Charges the pages the app's memory has grown to since the last look. */
  sync(): void {
    if (this.memory && this.reservation) this.reservation.charge(this.memory.buffer.byteLength);
  }

  /** Bytes of guest RAM the app's memory holds now. */
  get chargedBytes(): number {
    return this.reservation?.chargedBytes ?? 0;
  }

  /** At the app's exit: its pages and the rest of its reservation go back to the kernel. */
  close(): void {
    this.reservation?.release();
    this.reservation = undefined;
    this.memory = undefined;
  }
}

// How the VMM starts a composed vm-node kernel. The bundle is a classic script, not an ES
// module: V8 keeps a code cache only for scripts in Node 20 (module.enableCompileCache came in
// Node 22), and compiling the kernel anew is most of what a booted vCPU does before its first
// line. The VMM evaluates the bundle as the body of `function (VCPU_ENTRY_PARAMETER) { … }`
// and calls it with a VcpuEntry; the bundle has no imports of its own.

/** The name the bundle's code reads its VcpuEntry from. */
export const VCPU_ENTRY_PARAMETER = '__osv_vcpu';

/** What the VMM hands a kernel bundle. */
export interface VcpuEntry {
  /** Guest RAM (the boot info page is at address 0). */
  readonly ram: SharedArrayBuffer;
  /**
   * Called once, just before the kernel tells the VMM it powers off: by then the kernel's hot
   * functions are compiled, so the VMM's code cache made now serves the next boot best.
   */
  readonly poweringOff?: () => void;
}

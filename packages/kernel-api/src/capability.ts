// Capability names: the one list every name is checked against (docs/architecture.md §4). A
// module's declaration in its package.json (`provides`, `requires`), a hypervisor profile
// (what the platform and its devices offer) and a runtime registration (ModuleContext's
// provide/get) all use these names. TypeScript checks the registrations (ModuleContext takes a
// Capability); tools/depcheck checks the package.json declarations and the profile files; the
// osv linker checks a user's own profile when it loads it. A name nobody lists here fails.
//
// `many`: several modules or devices may provide it at once (each disk a blockdev, each NIC a
// netdev); every other capability has one provider per kernel, and the linker refuses two.

export interface CapabilityInfo {
  readonly description: string;
  /** Several providers at once (devices); otherwise exactly one per kernel. */
  readonly many?: true;
}

export const CAPABILITIES = {
  // What the kernel core and its platform provide (a profile's `offers`).
  scheduler: { description: "core-sched's scheduler: kernel threads, timers, wait queues" },
  clock: { description: 'monotonic and real-time clocks (performance.now on the VM targets)' },
  entropy: { description: 'random bytes: the platform CSPRNG, or a virtio-rng device', many: true },
  'page-allocator': { description: 'the page allocator over guest RAM' },
  'virtio-mmio': { description: 'the virtio-mmio transport: register windows and interrupts in guest RAM' },
  tracer: { description: 'tracepoints and the trace ring (--trace)' },
  'kernel-control': { description: "the kernel's own facts: command line, environment, boot log, host name, power" },
  'builtin-program': {
    description: "a program the kernel runs by path with no file behind it (OSv's /libhttpserver-api.so)",
    many: true,
  },
  // Devices a hypervisor profile attaches (a profile's `devices`); drivers require them.
  'device:virtio-console': { description: 'a virtio-console device (virtio 1.2 §5.3)' },
  'device:virtio-blk': { description: 'a virtio-blk device (virtio 1.2 §5.2)' },
  'device:virtio-net': { description: 'a virtio-net device (virtio 1.2 §5.1)' },
  'device:virtio-rng': { description: 'a virtio-rng device (virtio 1.2 §5.4)' },
  'device:virtio-fs': { description: 'a virtio-fs device (virtio 1.2 §5.11)' },
  // What drivers provide.
  console: { description: 'a console: stdin, stdout, stderr', many: true },
  blockdev: { description: 'a block device (a disk, a partition)', many: true },
  netdev: { description: 'a network interface', many: true },
  hwrng: { description: 'a hardware random number generator feeding /dev/random', many: true },
  'device-fault': { description: 'a fault a driver found while probing a device it still provides', many: true },
  // Subsystems.
  vfs: { description: 'the VFS core: mounts, vnodes, file descriptors over files' },
  'fs:ramfs': { description: 'the ramfs file system' },
  'fs:devfs': { description: 'the devfs file system (/dev)' },
  'fs:procfs': { description: 'the procfs file system (/proc)' },
  'fs:rofs': { description: "OSv's read-only file system" },
  'fs:zfs': { description: 'the ZFS file system' },
  'fs:virtiofs': { description: 'the virtiofs file system: host directories shared over virtio-fs' },
  netstack: { description: 'the TCP/IP stack' },
  'httpserver-api': { description: "OSv's REST management API served on the guest's port 8000" },
  // What apps call.
  'wasi:fs': { description: 'WASI preview1 file-system calls (path_*, fd_readdir, preopens)' },
  'wasi:net': { description: 'WASI preview1 socket calls (sock_*) and --tcplisten listeners' },
  'posix:sockets': { description: "the BSD socket calls of JS apps' libc" },
  'app:js': { description: 'JS-module apps in an SES compartment' },
} as const satisfies Record<string, CapabilityInfo>;

export type Capability = keyof typeof CAPABILITIES;

export function isCapability(name: string): name is Capability {
  return Object.prototype.hasOwnProperty.call(CAPABILITIES, name);
}

/** Whether several providers of `capability` may be linked together. */
export function allowsManyProviders(capability: Capability): boolean {
  return (CAPABILITIES[capability] as CapabilityInfo).many === true;
}

// Kernel module `posix-sockets`: the BSD socket calls of libc's Posix (the JS apps' API) over the
// network stack. The kernel asks for the `posix:sockets` capability when it starts a JS app and
// hands the layer to Posix; a kernel without this module (no netstack) runs JS apps whose
// socket() fails with EAFNOSUPPORT.
import type { Capability, KernelModule, ModuleContext } from '@osv-ts/kernel-api';
import type { NetstackService } from '@osv-ts/netstack';
import type { Process } from './process.js';
import { PosixSockets, type SocketLayer } from './socket/posix-sockets.js';

export const POSIX_SOCKETS_CAPABILITY = 'posix:sockets' satisfies Capability;

/** What the module provides: a socket layer for a process. */
export type SocketLayerFactory = (process: Process) => SocketLayer;

const posixSocketsModule: KernelModule = {
  name: 'posix-sockets',
  init(ctx: ModuleContext): void {
    const net = ctx.get<NetstackService>('netstack').stack;
    ctx.provide<SocketLayerFactory>(POSIX_SOCKETS_CAPABILITY, (process) => new PosixSockets(process, net));
  },
};

export default posixSocketsModule;

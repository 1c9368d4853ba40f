// The kernel modules `httpserver-api` and `httpserver-monitoring-api` (OSv's modules of those
// names): at boot they collect the guest's services, listen on port 8000 and start the server's
// kernel thread, so it is serving before the app runs — or, when the command line names
// `/libhttpserver-api.so` (OSv's form), when that command runs. Which build a kernel gets is the
// link's choice (osv run --api or --api-monitoring, osv build --api), as OSv's is the image's.
import type { Scheduler } from '@osv-ts/core-sched';
import {
  BUILTIN_PROGRAM_CAPABILITY,
  KERNEL_CONTROL_CAPABILITY,
  type BlockDevice,
  type BuiltinProgram,
  type Capability,
  type Clock,
  type KernelModule,
  type KernelControl,
} from '@osv-ts/kernel-api';
import type { NetstackService } from '@osv-ts/netstack';
import type { Vfs, VfsService } from '@osv-ts/vfs';
import type { Guest } from './guest.js';
import { Router } from './router.js';
import { managementRoutes } from './routes/route-set.js';
import { DEFAULT_PORT, HttpServer } from './server.js';
import { NoBootRecordError, writeBootCommandLine } from './boot-command-line.js';
import { httpServerProgram, namesHttpServerProgram, type ServerRequest } from './httpserver-program.js';

export const HTTPSERVER_API_CAPABILITY = 'httpserver-api' satisfies Capability;

export function managementModule(name: string, monitoring: boolean): KernelModule {
  return {
    name,
    init(ctx): void {
      const netstack = ctx.get<NetstackService>('netstack');
      const sched = ctx.get<Scheduler>('scheduler');
      const guest: Guest = {
        control: ctx.get<KernelControl>(KERNEL_CONTROL_CAPABILITY),
        sched,
        clock: ctx.get<Clock>('clock'),
        stack: netstack.stack,
        // The running kernel keeps the command line it booted with; the image's changes.
        setCommandLine: (cmdline) => {
          const disk = ctx.getAll<BlockDevice>('blockdev').find((d) => d.name === 'vblk0');
          if (!disk)
            throw new NoBootRecordError(
              'this guest has no image to write to (no vblk0: it was not booted with osv run -i)',
            );
          writeBootCommandLine(disk, cmdline);
        },
        // The vfs module may initialise after this one; the routes look it up when they run.
        get vfs(): Vfs | undefined {
          return ctx.tryGet<VfsService>('vfs')?.vfs;
        },
      };
      // OSv's monitoring build runs with --access-allow=true.
      const routes = managementRoutes({ monitoring });
      const servers = new Map<number, HttpServer>();
      const start = (request: ServerRequest): 'started' | 'running' => {
        if (servers.get(request.port)?.serving) return 'running';
        const accessAllow = request.accessAllow ?? (monitoring ? 'true' : undefined);
        const router = new Router(routes, guest, accessAllow !== undefined ? { accessAllow } : {});
        const server = new HttpServer(netstack.stack, sched, router, { port: request.port });
        server.start();
        servers.set(request.port, server);
        return 'started';
      };
      // A server serves until POST /api/stop or power-off.
      const serving = (): boolean => [...servers.values()].some((s) => s.serving);
      ctx.provide<BuiltinProgram>(BUILTIN_PROGRAM_CAPABILITY, httpServerProgram(DEFAULT_PORT, start, serving));
      // Serving before the app runs (osv run --api), unless the command line starts the server
      // itself (OSv's `/libhttpserver-api.so &!`, perhaps with its own port).
      if (!namesHttpServerProgram(guest.control.commandLine())) {
        start({ port: DEFAULT_PORT });
        ctx.provide<HttpServer>(HTTPSERVER_API_CAPABILITY, servers.get(DEFAULT_PORT)!);
      }
    },
  };
}

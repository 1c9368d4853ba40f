// The kernel modules `httpserver-api` and `httpserver-monitoring-api` (OSv's modules of those
// names): at boot they collect the guest's services, listen on port 8000 and start the server's
// kernel thread, so it is serving before the app runs. Which build a kernel gets is the link's
// choice (osv run --api or --api-monitoring), as OSv's is the image's.
import type { Scheduler } from '@osv-ts/core-sched';
import {
  KERNEL_CONTROL_CAPABILITY,
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
import { HttpServer } from './server.js';

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
        // The vfs module may initialise after this one; the routes look it up when they run.
        get vfs(): Vfs | undefined {
          return ctx.tryGet<VfsService>('vfs')?.vfs;
        },
      };
      // OSv's monitoring build runs with --access-allow=true.
      const router = new Router(managementRoutes({ monitoring }), guest, monitoring ? { accessAllow: 'true' } : {});
      const server = new HttpServer(netstack.stack, sched, router);
      server.start();
      ctx.provide<HttpServer>(HTTPSERVER_API_CAPABILITY, server);
    },
  };
}

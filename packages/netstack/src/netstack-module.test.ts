import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@osv-ts/core-sched';
import type { ModuleContext } from '@osv-ts/kernel-api';
import netstackModule, { bringUpNetwork, NETSTACK_CAPABILITY, type NetstackService } from './netstack-module.js';
import { SeededRandom } from './sim/seeded-random.js';
import { SimulatedLink } from './sim/simulated-link.js';

function context(services: Record<string, unknown[]>): ModuleContext & { provided: Map<string, unknown> } {
  const provided = new Map<string, unknown>();
  return {
    provided,
    provide: (k, v) => void provided.set(k, v),
    get: <T>(k: string) => {
      const v = services[k]?.[0];
      if (v === undefined) throw new Error(`missing ${k}`);
      return v as T;
    },
    tryGet: <T>(k: string) => services[k]?.[0] as T | undefined,
    getAll: <T>(k: string) => (services[k] ?? []) as T[],
  };
}

describe('netstack kernel module', () => {
  it('builds a stack over every netdev and brings it up from the command line', () => {
    const clock = new VirtualClock();
    const link = new SimulatedLink(clock, new SeededRandom(1));
    const ctx = context({ clock: [clock], entropy: [new SeededRandom(2)], netdev: [link.a, link.b] });
    netstackModule.init(ctx);
    const { stack } = ctx.provided.get(NETSTACK_CAPABILITY) as NetstackService;
    expect(stack.interfaces.map((i) => i.name)).toEqual(['lo', 'eth0', 'eth1']);
    const dhcp = bringUpNetwork(stack, ['--ip=eth0,10.0.0.2,255.255.255.0', '--defaultgw=10.0.0.1', '/app.wasm']);
    expect(stack.interface('eth0')!.ipv4.map((a) => String(a.address))).toEqual(['10.0.0.2']);
    // eth1 has no static address, so it runs DHCP.
    expect(dhcp.map((c) => c.state)).toEqual(['SELECTING']);
  });
});

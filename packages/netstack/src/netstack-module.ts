// Kernel module `netstack`: builds the stack over every `netdev` the drivers provided (named
// eth0, eth1, ... in order, as OSv names them) with the kernel's clock and entropy, and provides
// it as `netstack`. Addressing is left to the kernel, which knows the command line:
// `bringUpNetwork(stack, args)` applies OSv's --ip/--defaultgw/--nameserver or starts DHCP.
// Driving (poll at nextDeadlineNs, frames from interrupts) belongs to the kernel's scheduler.
import type { Capability, Clock, Entropy, KernelModule, ModuleContext, NetDevice } from '@osv-ts/kernel-api';
import { DhcpClient } from './dhcp/dhcp-client.js';
import { NetStack } from './net-stack.js';
import { applyStaticConfig, parseNetworkOptions } from './network-config.js';

export const NETSTACK_CAPABILITY = 'netstack' satisfies Capability;

export interface NetstackService {
  stack: NetStack;
  /** bringUpNetwork() on this stack: the kernel calls it with the command line's network options. */
  bringUp(args: readonly string[], hostname?: string): DhcpClient[];
}

/**
 * OSv's boot-time network setup: static addresses when the command line has --ip= (plus
 * --defaultgw=, --nameserver=), otherwise a DHCP client on every interface without an address.
 */
export function bringUpNetwork(stack: NetStack, args: readonly string[], hostname?: string): DhcpClient[] {
  const cfg = parseNetworkOptions(args);
  applyStaticConfig(stack, cfg);
  const clients: DhcpClient[] = [];
  for (const iface of stack.interfaces) {
    if (iface.loopback || iface.ipv4.length > 0) continue;
    const c = new DhcpClient(stack, iface, hostname);
    c.start();
    clients.push(c);
  }
  return clients;
}

const netstackModule: KernelModule = {
  name: 'netstack',
  init(ctx: ModuleContext): void {
    const stack = new NetStack({ clock: ctx.get<Clock>('clock'), entropy: ctx.get<Entropy>('entropy') });
    ctx.getAll<NetDevice>('netdev').forEach((device, i) => stack.addInterface(device, { name: `eth${i}` }));
    ctx.provide<NetstackService>(NETSTACK_CAPABILITY, {
      stack,
      bringUp: (args, hostname) => bringUpNetwork(stack, args, hostname),
    });
  },
};

export default netstackModule;

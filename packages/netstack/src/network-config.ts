// OSv's static network options (loader command line): --ip=IFACE,ADDR,NETMASK,
// --defaultgw=ADDR and --nameserver=ADDR (repeatable), as OSv's loader.cc reads them.
import { FormatError } from '@osv-ts/kernel-api';
import type { NetStack } from './net-stack.js';
import { IpAddress, maskToPrefixLength } from './wire/ip-address.js';

export interface StaticNetworkConfig {
  addresses: Array<{ iface: string; address: IpAddress; prefixLength: number }>;
  defaultGateway: IpAddress | undefined;
  nameservers: IpAddress[];
}

/** Picks the network options out of a kernel command line's arguments; others are ignored. */
export function parseNetworkOptions(args: readonly string[]): StaticNetworkConfig {
  const cfg: StaticNetworkConfig = { addresses: [], defaultGateway: undefined, nameservers: [] };
  args.forEach((arg, index) => {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? '' : arg.slice(eq + 1);
    const addr = (text: string) => {
      const ip = IpAddress.tryParse(text);
      if (!ip) throw new FormatError('cmdline', key, index, `bad address ${JSON.stringify(text)}`);
      return ip;
    };
    switch (key) {
      case '--ip': {
        const [iface, a, mask] = value.split(',');
        if (!iface || !a || !mask) throw new FormatError('cmdline', '--ip', index, 'expected --ip=IFACE,ADDR,NETMASK');
        const address = addr(a);
        const prefixLength = /^\d+$/.test(mask) ? Number(mask) : maskToPrefixLength(addr(mask));
        cfg.addresses.push({ iface, address, prefixLength });
        break;
      }
      case '--defaultgw':
        cfg.defaultGateway = addr(value);
        break;
      case '--nameserver':
        cfg.nameservers.push(addr(value));
        break;
      default:
        break;
    }
  });
  return cfg;
}

/** Applies a static configuration; throws FormatError naming an unknown interface. */
export function applyStaticConfig(stack: NetStack, cfg: StaticNetworkConfig): void {
  for (const a of cfg.addresses) {
    const iface = stack.interface(a.iface);
    if (!iface) throw new FormatError('cmdline', '--ip', 0, `no interface ${a.iface}`);
    if (a.address.version === 4) stack.addIpv4Address(iface, a.address, a.prefixLength, 'static');
    else stack.addIpv6Address(iface, a.address, a.prefixLength, 'static');
  }
  if (cfg.defaultGateway) {
    const gw = cfg.defaultGateway;
    const route = stack.routes.lookup(gw);
    const iface = route?.iface ?? stack.interfaces.find((i) => !i.loopback);
    if (!iface) throw new FormatError('cmdline', '--defaultgw', 0, 'no interface for the gateway');
    stack.addGateway(iface, gw, 'static');
  }
  if (cfg.nameservers.length > 0) stack.nameservers = cfg.nameservers;
}

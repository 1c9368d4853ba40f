// /etc/resolv.conf (resolv.conf(5)): nameserver, search/domain and the options timeout:,
// attempts:, ndots:, rotate. Unknown lines are ignored, as glibc does.
import { IpAddress } from '../wire/ip-address.js';

export interface ResolverConfig {
  nameservers: IpAddress[];
  search: string[];
  ndots: number;
  timeoutS: number;
  attempts: number;
  rotate: boolean;
}

export const DEFAULT_RESOLVER_CONFIG: ResolverConfig = {
  nameservers: [],
  search: [],
  ndots: 1,
  timeoutS: 5,
  attempts: 2,
  rotate: false,
};

export function parseResolvConf(text: string): ResolverConfig {
  const c: ResolverConfig = { ...DEFAULT_RESOLVER_CONFIG, nameservers: [], search: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    switch (key) {
      case 'nameserver': {
        const ip = rest[0] ? IpAddress.tryParse(rest[0]) : undefined;
        if (ip && c.nameservers.length < 3) c.nameservers.push(ip); // MAXNS = 3
        break;
      }
      case 'domain':
        if (rest[0]) c.search = [rest[0]];
        break;
      case 'search':
        c.search = rest.slice(0, 6);
        break;
      case 'options':
        for (const o of rest) {
          const [name, value] = o.split(':');
          const n = Number(value);
          if (name === 'ndots' && Number.isInteger(n)) c.ndots = Math.min(Math.max(n, 0), 15);
          else if (name === 'timeout' && Number.isInteger(n)) c.timeoutS = Math.min(Math.max(n, 1), 30);
          else if (name === 'attempts' && Number.isInteger(n)) c.attempts = Math.min(Math.max(n, 1), 5);
          else if (name === 'rotate') c.rotate = true;
        }
        break;
      default:
        break;
    }
  }
  return c;
}

// /etc/hosts (hosts(5)): "address canonical-name aliases...", '#' comments. Lookups are
// case-insensitive; the first matching lines win in file order.
import { IpAddress } from '../wire/ip-address.js';

export class HostsFile {
  private readonly entries = new Map<string, IpAddress[]>();

  static parse(text: string): HostsFile {
    const h = new HostsFile();
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.replace(/#.*/, '').trim();
      if (!line) continue;
      const [addr, ...names] = line.split(/\s+/);
      const ip = IpAddress.tryParse(addr!);
      if (!ip) continue;
      for (const n of names) h.add(n, ip);
    }
    return h;
  }

  add(name: string, address: IpAddress): void {
    const key = name.toLowerCase().replace(/\.$/, '');
    const list = this.entries.get(key) ?? [];
    if (!list.some((a) => a.equals(address))) list.push(address);
    this.entries.set(key, list);
  }

  lookup(name: string, version: 4 | 6): IpAddress[] {
    return (this.entries.get(name.toLowerCase().replace(/\.$/, '')) ?? []).filter((a) => a.version === version);
  }
}

// The routing table: longest-prefix match (RFC 1812 §5.2.4.3) over IPv4 and IPv6 routes, each
// naming an interface and, for off-link destinations, a gateway. A /0 route is the default.
import { IpAddress, prefixMatches } from '../wire/ip-address.js';

export interface Route<I = unknown> {
  readonly prefix: IpAddress;
  readonly prefixLength: number;
  /** Next hop for off-link routes; undefined for directly connected prefixes. */
  readonly gateway: IpAddress | undefined;
  readonly iface: I;
  readonly metric: number;
  /** Where the route came from (static, dhcp, ra, connected), for removal by owner. */
  readonly source: string;
}

export class RouteTable<I = unknown> {
  private routes: Route<I>[] = [];

  add(route: Route<I>): void {
    this.routes = this.routes.filter(
      (r) =>
        !(
          r.prefix.equals(route.prefix) &&
          r.prefixLength === route.prefixLength &&
          r.iface === route.iface &&
          r.source === route.source
        ),
    );
    this.routes.push(route);
    // Longest prefix first, then lowest metric: lookup takes the first match.
    this.routes.sort((a, b) => b.prefixLength - a.prefixLength || a.metric - b.metric);
  }

  remove(filter: (r: Route<I>) => boolean): void {
    this.routes = this.routes.filter((r) => !filter(r));
  }

  lookup(destination: IpAddress): Route<I> | undefined {
    for (const r of this.routes) {
      if (r.prefix.version === destination.version && prefixMatches(r.prefix.bytes, destination.bytes, r.prefixLength))
        return r;
    }
    return undefined;
  }

  list(): readonly Route<I>[] {
    return this.routes;
  }
}

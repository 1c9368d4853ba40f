// @osv-ts/netstack: public contract.
export { NetStack } from './net-stack.js';
export { StackTimers } from './stack-timers.js';
export type { NetStackOptions, InterfaceOptions, StackCounters } from './net-stack.js';
export { NetInterface } from './iface/net-interface.js';
export type {
  Ipv4InterfaceAddress,
  Ipv6InterfaceAddress,
  Ipv6AddressState,
  InterfaceCounters,
} from './iface/net-interface.js';
export { LoopbackDevice } from './iface/loopback-device.js';
export { RouteTable } from './iface/route-table.js';
export type { Route } from './iface/route-table.js';
export { ArpCache } from './iface/arp-cache.js';
export { NeighborCache } from './iface/neighbor-cache.js';
export type { NudState } from './iface/neighbor-cache.js';
export { Ipv4Reassembler } from './iface/ipv4-reassembly.js';

export { Socket, PollEvents } from './socket/socket.js';
export type { SocketAddress, SocketOption } from './socket/socket.js';
export { TcpSocket } from './socket/tcp-socket.js';
export type { ShutdownHow } from './socket/tcp-socket.js';
export { UdpSocket } from './socket/udp-socket.js';
export type { Datagram } from './socket/udp-socket.js';
export { PingSocket } from './socket/ping-socket.js';
export type { EchoReply } from './socket/ping-socket.js';

export { TcpConnection } from './tcp/tcp-connection.js';
export type { TcpState, TcpCounters, TcpEndpoints } from './tcp/tcp-connection.js';
export { DEFAULT_TCP_CONFIG } from './tcp/tcp-config.js';
export type { TcpConfig } from './tcp/tcp-config.js';
export type { CongestionAlgorithm } from './tcp/congestion.js';
export { Sequence } from './tcp/sequence.js';

export { SeededRandom } from './sim/seeded-random.js';
export { SimulatedLink, PERFECT_LINK } from './sim/simulated-link.js';
export type { LinkImpairments, LinkCounters } from './sim/simulated-link.js';
export { Simulation, StallError } from './sim/simulation.js';

export { IpAddress } from './wire/ip-address.js';
export type { IpVersion } from './wire/ip-address.js';

export { DhcpClient } from './dhcp/dhcp-client.js';
export type { DhcpLease, DhcpState } from './dhcp/dhcp-client.js';
export { DnsResolver, DnsLookup } from './dns/dns-resolver.js';
export type { DnsFailure } from './dns/dns-resolver.js';
export { HostsFile } from './dns/hosts-file.js';
export { parseResolvConf, DEFAULT_RESOLVER_CONFIG } from './dns/resolv-conf.js';
export type { ResolverConfig } from './dns/resolv-conf.js';
export { parseNetworkOptions, applyStaticConfig } from './network-config.js';
export type { StaticNetworkConfig } from './network-config.js';
export { PcapWriter, readPcap } from './sim/pcap-writer.js';
export { NETSTACK_CAPABILITY, bringUpNetwork } from './netstack-module.js';
export type { NetstackService } from './netstack-module.js';

// The stack: interfaces, the IPv4/IPv6 layers (ARP, NDP with SLAAC, fragment reassembly,
// ICMP echo and errors), UDP and TCP demultiplexing, port bindings and socket factories.
// Event-driven and synchronous (docs/architecture.md §3): frames arrive through NetDevice receivers, time
// only moves through `poll(nowNs)`, and `nextDeadlineNs()` says when to call it next. No timers
// are created outside the stack's own core-sched TimerQueue.
import { Errno, FormatError, KernelError, type Clock, type Entropy, type NetDevice } from '@osv-ts/kernel-api';
import { Timer } from '@osv-ts/core-sched';
import { LoopbackDevice } from './iface/loopback-device.js';
import {
  NetInterface,
  ipv4MulticastMac,
  ipv6MulticastMac,
  solicitedNode,
  type Ipv6InterfaceAddress,
} from './iface/net-interface.js';
import { Ipv4Reassembler } from './iface/ipv4-reassembly.js';
import { RouteTable, type Route } from './iface/route-table.js';
import { StackTimers } from './stack-timers.js';
import { PingSocket } from './socket/ping-socket.js';
import type { SocketAddress } from './socket/socket.js';
import { TcpSocket, type TcpSocketHost } from './socket/tcp-socket.js';
import { UdpSocket, type UdpHost } from './socket/udp-socket.js';
import { IsnGenerator } from './tcp/isn.js';
import { Sequence } from './tcp/sequence.js';
import { DEFAULT_TCP_CONFIG, type TcpConfig } from './tcp/tcp-config.js';
import { TcpConnection, type TcpHost } from './tcp/tcp-connection.js';
import { ArpOperation, emitArp, parseArp, ARP_PACKET_BYTES } from './wire/arp.js';
import { pseudoSumV4, pseudoSumV6 } from './wire/checksum.js';
import {
  BROADCAST_MAC,
  ETHERNET_HEADER_BYTES,
  EtherType,
  emitEthernetHeader,
  isMulticastMac,
  macEquals,
  parseEthernet,
} from './wire/ethernet.js';
import { Icmpv4Type, Icmpv4Unreachable, emitIcmpv4, parseIcmpv4 } from './wire/icmpv4.js';
import {
  Icmpv6Type,
  NdpOption,
  emitIcmpv6,
  ndpTargetBody,
  parseIcmpv6,
  parseNdpOptions,
  parseRouterAdvertisement,
} from './wire/icmpv6.js';
import { IPV4_ANY, IPV6_ANY, IpAddress, prefixMatches, type IpVersion } from './wire/ip-address.js';
import { IPV4_HEADER_BYTES, IpProtocol, emitIpv4Header, parseIpv4 } from './wire/ipv4.js';
import { IPV6_HEADER_BYTES, emitIpv6Header, parseIpv6 } from './wire/ipv6.js';
import {
  TCP_HEADER_BYTES,
  TcpFlags,
  emitTcp,
  parseTcp,
  tcpOptionsLength,
  type TcpSegment,
} from './wire/tcp-segment.js';
import { UDP_HEADER_BYTES, emitUdp, parseUdp } from './wire/udp.js';

export interface NetStackOptions {
  clock: Clock;
  entropy: Entropy;
  /** Overrides of the TCP defaults for every connection. */
  tcp?: Partial<TcpConfig>;
  /** ICMP error messages per second (RFC 1812 §4.3.2.8 rate limiting). */
  icmpErrorsPerSecond?: number;
}

export interface InterfaceOptions {
  name?: string;
  /** Configure an IPv6 link-local address and listen to Router Advertisements (default true). */
  ipv6?: boolean;
}

export interface StackCounters {
  ipv4Received: number;
  ipv6Received: number;
  malformed: number;
  noRoute: number;
  icmpErrorsSent: number;
  icmpErrorsSuppressed: number;
  tcpResetsSent: number;
  /** Half-open children dropped to admit a SYN into a full listen backlog. */
  tcpSynQueueEvictions: number;
  udpNoPort: number;
  fragmentsReassembled: number;
  /** Packets dropped for an impossible source address. */
  martians: number;
}

type IcmpErrorKind = 'port-unreachable' | 'protocol-unreachable';

const EPHEMERAL_LOW = 32768;
/** Frames held per interface while the device's transmit queue is full (Linux txqueuelen 1000). */
const TX_QUEUE_FRAMES = 1000;
const EPHEMERAL_HIGH = 60999;
const RTR_SOLICITATION_INTERVAL_NS = 4_000_000_000;
const MAX_RTR_SOLICITATIONS = 3;
const DAD_TIME_NS = 1_000_000_000;
/** A half-open child this old (one initial RTO, RFC 6298) may give way to a new SYN. */
const SYN_QUEUE_EVICT_AGE_NS = 1_000_000_000;
/**
 * TCP segments that reach an interface still waiting for its DHCP lease are kept this long
 * (and at most HELD_UNCONFIGURED_FRAMES of them), then handled once it has an address.
 */
const HELD_UNCONFIGURED_NS = 3_000_000_000;
const HELD_UNCONFIGURED_FRAMES = 32;
/** Segments a TCP buffer left at its default size holds at least (createConnection). */
const BUFFER_SEGMENTS = 32;
const ALL_NODES = IpAddress.parse('ff02::1');
const ALL_ROUTERS = IpAddress.parse('ff02::2');

interface Binding {
  owner: object;
  address: IpAddress;
  /** An IPv6 wildcard binding that also covers IPv4 (IPV6_V6ONLY off). */
  dual: boolean;
  reuse: boolean;
  listening: boolean;
  /** A connection's binding (accepted or connected), as opposed to a bound socket. */
  connection: TcpConnection | undefined;
}

/** The IP-layer header facts handlers need. */
interface IpMeta {
  iface: NetInterface;
  source: IpAddress;
  destination: IpAddress;
  /** Sent to a broadcast or multicast address (never answered with ICMP errors or RSTs). */
  broadcast: boolean;
  /** The original IP packet, for ICMP error quoting. */
  packet: Uint8Array;
  verifyChecksums: boolean;
}

export class NetStack implements TcpHost, TcpSocketHost, UdpHost {
  readonly timers = new StackTimers();
  readonly routes = new RouteTable<NetInterface>();
  readonly interfaces: NetInterface[] = [];
  readonly loopback: NetInterface;
  readonly counters: StackCounters = {
    ipv4Received: 0,
    ipv6Received: 0,
    malformed: 0,
    noRoute: 0,
    icmpErrorsSent: 0,
    icmpErrorsSuppressed: 0,
    tcpResetsSent: 0,
    tcpSynQueueEvictions: 0,
    udpNoPort: 0,
    fragmentsReassembled: 0,
    martians: 0,
  };
  /** DNS servers (from DHCP or --nameserver=), for the resolver. */
  nameservers: IpAddress[] = [];
  searchDomains: string[] = [];
  readonly tcpDefaults: TcpConfig;
  private current = 0;
  private readonly clock: Clock;
  readonly entropy: Entropy;
  private readonly isnGen: IsnGenerator;
  private readonly reassembler = new Ipv4Reassembler();
  private readonly connections = new Map<string, TcpConnection>();
  /** When each half-open child entered its listener's SYN queue. */
  private readonly synQueuedAtNs = new WeakMap<TcpConnection, number>();
  private readonly listeners = new Map<number, TcpSocket[]>();
  private readonly tcpBindings = new Map<number, Binding[]>();
  private readonly udpBindings = new Map<number, UdpSocket[]>();
  private readonly pingSockets = new Map<number, PingSocket>();
  private readonly connectionOwner = new Map<TcpConnection, TcpSocket>();
  private readonly housekeeping: Timer;
  private ipv4Identification: number;
  private ipv6Identification: number;
  private readonly icmpRate: number;
  private icmpWindowStartNs = -Infinity;
  private icmpSentInWindow = 0;
  private ephemeralNext: number;
  /** Nesting of stack entry points (frame receipt, device transmit): > 0 means "inside". */
  private depth = 0;
  private deferred: Array<[NetInterface, Uint8Array, boolean]> = [];
  /**
   * The TSO frames on their way to a device (through ARP/NDP and transmit queues as plain
   * frames): the segment size the device cuts each into.
   */
  private readonly segmentSizes = new WeakMap<Uint8Array, number>();
  private draining = false;

  constructor(options: NetStackOptions) {
    this.clock = options.clock;
    this.entropy = options.entropy;
    this.tcpDefaults = { ...DEFAULT_TCP_CONFIG, ...options.tcp };
    this.icmpRate = options.icmpErrorsPerSecond ?? 100;
    const seed = new Uint8Array(12);
    this.entropy.fill(seed);
    this.isnGen = new IsnGenerator(seed.subarray(0, 8));
    this.ipv4Identification = (seed[8]! << 8) | seed[9]!;
    this.ipv6Identification = ((seed[8]! << 24) | (seed[9]! << 16) | (seed[10]! << 8) | seed[11]!) >>> 0;
    this.ephemeralNext = EPHEMERAL_LOW + (((seed[10]! << 8) | seed[11]!) % (EPHEMERAL_HIGH - EPHEMERAL_LOW + 1));
    this.current = this.clock.monotonicNs();
    this.housekeeping = new Timer(Infinity, () => this.onHousekeeping());
    const lo = new LoopbackDevice();
    this.loopback = this.addInterface(lo, { name: 'lo', ipv6: false });
    this.addIpv4Address(this.loopback, IpAddress.parse('127.0.0.1'), 8, 'static');
    this.loopback.ipv6.push({
      address: IpAddress.parse('::1'),
      prefixLength: 128,
      state: 'preferred',
      origin: 'static',
      validUntilNs: Infinity,
      preferredUntilNs: Infinity,
      dadDoneAtNs: 0,
    });
    this.loopback.ipv6Enabled = true;
    this.routes.add({
      prefix: IpAddress.parse('::1'),
      prefixLength: 128,
      gateway: undefined,
      iface: this.loopback,
      metric: 0,
      source: 'connected',
    });
  }

  /**
   * Now, for timers and socket calls: the clock, but never behind the time poll() was given
   * (so a socket call long after the last poll does not arm timers in the past).
   */
  get nowNs(): number {
    const now = this.clock.monotonicNs();
    if (now > this.current) this.current = now;
    return this.current;
  }

  // ---- configuration ---------------------------------------------------------------------

  addInterface(device: NetDevice, options: InterfaceOptions = {}): NetInterface {
    const isLoopback = device instanceof LoopbackDevice;
    const iface = new NetInterface(options.name ?? device.name, device, isLoopback);
    this.interfaces.push(iface);
    device.setReceiver((frame, verified) => this.receiveFrame(iface, frame, verified === true));
    device.onTransmitReady = () => this.drainTxQueue(iface);
    if (!isLoopback && options.ipv6 !== false) this.enableIpv6(iface);
    return iface;
  }

  interface(name: string): NetInterface | undefined {
    return this.interfaces.find((i) => i.name === name);
  }

  addIpv4Address(iface: NetInterface, address: IpAddress, prefixLength: number, origin = 'static'): void {
    if (address.version !== 4 || prefixLength < 0 || prefixLength > 32)
      throw new KernelError(Errno.EINVAL, 'IPv4 address/prefix');
    if (!iface.ipv4.some((a) => a.address.equals(address))) iface.ipv4.push({ address, prefixLength, origin });
    const net = IpAddress.v4(prefixLength === 0 ? 0 : (address.v4 & (0xffffffff << (32 - prefixLength))) >>> 0);
    this.routes.add({ prefix: net, prefixLength, gateway: undefined, iface, metric: 0, source: `connected:${origin}` });
    // Segments held while the interface had no address go through input again on the next
    // poll (those for another address are then dropped as usual).
    for (const held of iface.heldUntilConfigured.splice(0)) {
      if (this.current - held.atNs <= HELD_UNCONFIGURED_NS) this.deferred.push([iface, held.frame, held.verified]);
      else iface.counters.rxDropped++;
    }
    if (this.depth === 0) this.drainDeferred();
  }

  removeIpv4Addresses(iface: NetInterface, origin: string): void {
    for (let i = iface.ipv4.length - 1; i >= 0; i--) if (iface.ipv4[i]!.origin === origin) iface.ipv4.splice(i, 1);
    this.routes.remove((r) => r.iface === iface && (r.source === `connected:${origin}` || r.source === origin));
  }

  /** Adds a default route (or any route through a gateway). */
  addGateway(iface: NetInterface, gateway: IpAddress, origin = 'static', prefix?: IpAddress, prefixLength = 0): void {
    const p = prefix ?? (gateway.version === 4 ? IPV4_ANY : IPV6_ANY);
    this.routes.add({ prefix: p, prefixLength, gateway, iface, metric: 1, source: origin });
  }

  addIpv6Address(
    iface: NetInterface,
    address: IpAddress,
    prefixLength: number,
    origin: Ipv6InterfaceAddress['origin'] = 'static',
  ): void {
    const now = this.current;
    if (iface.ipv6.some((a) => a.address.equals(address))) return;
    iface.ipv6.push({
      address,
      prefixLength,
      state: 'tentative',
      origin,
      validUntilNs: Infinity,
      preferredUntilNs: Infinity,
      dadDoneAtNs: now + DAD_TIME_NS,
    });
    this.sendNeighborSolicitation(iface, address, solicitedNode(address), IPV6_ANY);
    if (origin === 'static') {
      const net = maskPrefix(address, prefixLength);
      this.routes.add({ prefix: net, prefixLength, gateway: undefined, iface, metric: 0, source: 'connected:static' });
    }
    this.rearmHousekeeping();
  }

  /** RFC 4862 §5.3: link-local address (DAD first), then Router Solicitations (RFC 4861 §6.3.7). */
  enableIpv6(iface: NetInterface): void {
    if (iface.ipv6Enabled) return;
    iface.ipv6Enabled = true;
    this.routes.add({
      prefix: IpAddress.parse('fe80::'),
      prefixLength: 64,
      gateway: undefined,
      iface,
      metric: 256,
      source: 'connected:link-local',
    });
    this.addIpv6Address(iface, iface.linkLocalAddress(), 64, 'link-local');
    iface.nextRouterSolicitationNs = this.current + DAD_TIME_NS;
    this.rearmHousekeeping();
  }

  // ---- driving ---------------------------------------------------------------------------

  /** Runs timers due at `nowNs` and delivers loopback frames. */
  poll(nowNs: number = this.clock.monotonicNs()): void {
    if (nowNs > this.current) this.current = nowNs;
    const lo = this.loopback.device as LoopbackDevice;
    for (let round = 0; round < 64; round++) {
      const fired = this.timers.expire(this.current);
      const delivered = lo.drain();
      const deferred = this.drainDeferred();
      if (fired === 0 && delivered === 0 && deferred === 0) break;
    }
  }

  /**
   * Called with a timer's deadline whenever one is armed. A driver sleeping until
   * nextDeadlineNs() must wake (and poll) when it is earlier than that sleep: a timer armed from
   * a frame's receive path or another thread's socket call is otherwise found only when it wakes.
   */
  set onTimerArmed(listener: ((deadlineNs: number) => void) | undefined) {
    this.timers.onArm = listener;
  }

  /** When poll() must next run (undefined: only when a frame arrives or a socket is used). */
  nextDeadlineNs(): number | undefined {
    if ((this.loopback.device as LoopbackDevice).pending > 0 || this.deferred.length > 0) return this.current;
    return this.timers.nextDeadlineNs();
  }

  // ---- sockets ---------------------------------------------------------------------------

  tcpSocket(family: IpVersion = 4): TcpSocket {
    return new TcpSocket(this, family);
  }

  udpSocket(family: IpVersion = 4): UdpSocket {
    return new UdpSocket(this, family);
  }

  /** An ICMP/ICMPv6 echo socket (ping). */
  pingSocket(family: IpVersion = 4): PingSocket {
    let id = 0;
    const b = new Uint8Array(2);
    do {
      this.entropy.fill(b);
      id = (b[0]! << 8) | b[1]!;
    } while (this.pingSockets.has(id));
    const s = new PingSocket(
      family,
      id,
      (dst, seq, payload) => this.sendEcho(dst, id, seq, payload),
      () => this.pingSockets.delete(id),
    );
    this.pingSockets.set(id, s);
    return s;
  }

  anyAddress(family: IpVersion): IpAddress {
    return family === 4 ? IPV4_ANY : IPV6_ANY;
  }

  /** Every TCP connection the stack holds (including TIME-WAIT and orphans). */
  tcpConnections(): TcpConnection[] {
    return [...this.connections.values()];
  }

  // UdpHost
  bindUdp(socket: UdpSocket, address: IpAddress, port: number): SocketAddress {
    this.checkLocalAddress(address);
    if (port === 0) port = this.pickEphemeral((p) => !this.udpBindings.has(p));
    const list = this.udpBindings.get(port) ?? [];
    const dual = isDual(socket.family, socket.v6Only, address);
    for (const s of list) {
      if (!overlaps(s.local!.address, isDual(s.family, s.v6Only, s.local!.address), address, dual)) continue;
      if (!(s.reuseAddress && socket.reuseAddress)) throw new KernelError(Errno.EADDRINUSE, `udp port ${port}`);
    }
    list.push(socket);
    this.udpBindings.set(port, list);
    return { address, port };
  }

  unbindUdp(socket: UdpSocket): void {
    if (!socket.local) return;
    const list = this.udpBindings.get(socket.local.port);
    if (!list) return;
    const i = list.indexOf(socket);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.udpBindings.delete(socket.local.port);
  }

  sendUdp(socket: UdpSocket, to: SocketAddress, data: Uint8Array): void {
    const local = socket.local!;
    const device = socket.boundDevice ? this.interface(socket.boundDevice) : undefined;
    const src = local.address.isUnspecified() ? this.sourceFor(to.address, device) : local.address;
    const length = UDP_HEADER_BYTES + data.length;
    const ok = this.sendIp(
      src ?? this.anyAddress(to.address.version),
      to.address,
      IpProtocol.UDP,
      length,
      device,
      (out, off, pseudo) => emitUdp(out, off, local.port, to.port, data, pseudo),
    );
    if (!ok) throw new KernelError(Errno.ENETUNREACH, `no route to ${to.address.toString()}`);
  }

  // TcpSocketHost
  bindTcp(socket: TcpSocket, address: IpAddress, port: number): SocketAddress {
    this.checkLocalAddress(address);
    if (port === 0) port = this.pickEphemeral((p) => !this.tcpBindings.has(p));
    const list = this.tcpBindings.get(port) ?? [];
    const dual = isDual(socket.family, socket.v6Only, address);
    for (const b of list) {
      if (!overlaps(b.address, b.dual, address, dual)) continue;
      if (b.connection) {
        if (!socket.reuseAddress) throw new KernelError(Errno.EADDRINUSE, `tcp port ${port}`);
      } else if (!(b.reuse && socket.reuseAddress && !b.listening)) {
        throw new KernelError(Errno.EADDRINUSE, `tcp port ${port}`);
      }
    }
    list.push({ owner: socket, address, dual, reuse: socket.reuseAddress, listening: false, connection: undefined });
    this.tcpBindings.set(port, list);
    return { address, port };
  }

  unbindTcp(socket: TcpSocket): void {
    const port = socket.local?.port;
    if (port === undefined) return;
    this.removeBinding(port, socket);
    const ls = this.listeners.get(port);
    if (ls) {
      const i = ls.indexOf(socket);
      if (i >= 0) ls.splice(i, 1);
      if (ls.length === 0) this.listeners.delete(port);
    }
  }

  listenTcp(socket: TcpSocket): void {
    const port = socket.local!.port;
    const list = this.tcpBindings.get(port) ?? [];
    const dual = isDual(socket.family, socket.v6Only, socket.local!.address);
    for (const b of list) {
      if (b.owner !== socket && b.listening && overlaps(b.address, b.dual, socket.local!.address, dual))
        throw new KernelError(Errno.EADDRINUSE, `tcp port ${port}`);
    }
    const own = list.find((b) => b.owner === socket);
    if (own) own.listening = true;
    const ls = this.listeners.get(port) ?? [];
    ls.push(socket);
    this.listeners.set(port, ls);
  }

  connectTcp(socket: TcpSocket, remote: SocketAddress): TcpConnection {
    const device = socket.boundDevice ? this.interface(socket.boundDevice) : undefined;
    let localAddress = socket.local?.address;
    if (!localAddress || localAddress.isUnspecified()) {
      const src = this.sourceFor(remote.address, device);
      if (!src) throw new KernelError(Errno.ENETUNREACH, `no route to ${remote.address.toString()}`);
      localAddress = src;
    }
    let localPort = socket.local?.port ?? 0;
    if (localPort === 0) {
      localPort = this.pickEphemeral((p) => !this.tcpBindings.has(p));
    } else {
      this.removeBinding(localPort, socket);
    }
    const key = connectionKey(localAddress, localPort, remote.address, remote.port);
    const existing = this.connections.get(key);
    if (existing) {
      if (existing.state !== 'TIME-WAIT') throw new KernelError(Errno.EADDRNOTAVAIL, 'connection exists');
      existing.abort(this.current);
    }
    socket.local = { address: localAddress, port: localPort };
    const conn = this.createConnection(
      { localAddress, localPort, remoteAddress: remote.address, remotePort: remote.port },
      { ...this.tcpDefaults, ...socket.options },
      socket.reuseAddress,
    );
    this.connectionOwner.set(conn, socket);
    conn.connect(this.current);
    return conn;
  }

  // ---- TCP host --------------------------------------------------------------------------

  private createConnection(endpoints: TcpConnection['endpoints'], config: TcpConfig, reuse: boolean): TcpConnection {
    const route = this.routeFor(endpoints.remoteAddress);
    const mtu = route ? route.iface.mtu : 1500;
    const ipHeader = endpoints.remoteAddress.version === 4 ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES;
    config.mss = Math.min(
      config.mss === DEFAULT_TCP_CONFIG.mss ? 65495 : config.mss,
      mtu - ipHeader - TCP_HEADER_BYTES,
    );
    // TSO (RFC 9293 does not know it; Linux's GSO rules): up to a 64 KiB IP datagram at once.
    config.segmentationBytes = route?.iface.device.offloads.tcpSegmentation ? 65535 - ipHeader : 0;
    // Buffers the application left at their defaults hold at least BUFFER_SEGMENTS segments: on
    // a large-MTU link (passt's 65520, loopback) 256 KiB is four segments, too few to keep
    // the path busy across the host's wake-ups (Linux autotunes its buffers the same way up).
    // With TSO a "segment" is what the device is handed at once, up to 64 KiB.
    const segmentsBytes = BUFFER_SEGMENTS * Math.max(config.mss, config.segmentationBytes);
    if (config.sendBufferBytes === DEFAULT_TCP_CONFIG.sendBufferBytes)
      config.sendBufferBytes = Math.max(config.sendBufferBytes, segmentsBytes);
    if (config.receiveBufferBytes === DEFAULT_TCP_CONFIG.receiveBufferBytes)
      config.receiveBufferBytes = Math.max(config.receiveBufferBytes, segmentsBytes);
    const isn = this.isnGen.isn(
      endpoints.localAddress.bytes,
      endpoints.localPort,
      endpoints.remoteAddress.bytes,
      endpoints.remotePort,
      this.current,
    );
    const tsOffset = new Uint8Array(4);
    this.entropy.fill(tsOffset);
    const conn = new TcpConnection(this, config, endpoints, isn, new DataView(tsOffset.buffer).getUint32(0));
    const key = connectionKey(
      endpoints.localAddress,
      endpoints.localPort,
      endpoints.remoteAddress,
      endpoints.remotePort,
    );
    this.connections.set(key, conn);
    const list = this.tcpBindings.get(endpoints.localPort) ?? [];
    list.push({ owner: conn, address: endpoints.localAddress, dual: false, reuse, listening: false, connection: conn });
    this.tcpBindings.set(endpoints.localPort, list);
    return conn;
  }

  output(conn: TcpConnection, seg: TcpSegment): void {
    const e = conn.endpoints;
    const length = TCP_HEADER_BYTES + tcpOptionsLength(seg.options) + seg.payload.length;
    // A segment above one MSS is for a device that cuts it (config.segmentationBytes).
    const segmentSize = seg.payload.length > conn.mss ? conn.mss : undefined;
    this.sendIp(
      e.localAddress,
      e.remoteAddress,
      IpProtocol.TCP,
      length,
      undefined,
      (out, off, pseudo, partial) => emitTcp(out, off, seg, pseudo, partial),
      64,
      segmentSize,
    );
  }

  released(conn: TcpConnection): void {
    const e = conn.endpoints;
    const key = connectionKey(e.localAddress, e.localPort, e.remoteAddress, e.remotePort);
    if (this.connections.get(key) === conn) this.connections.delete(key);
    this.removeBinding(e.localPort, conn);
    this.connectionOwner.delete(conn);
    for (const ls of this.listeners.values()) {
      for (const l of ls) {
        l.synQueue.delete(conn);
      }
    }
  }

  private removeBinding(port: number, owner: object): void {
    const list = this.tcpBindings.get(port);
    if (!list) return;
    const i = list.findIndex((b) => b.owner === owner);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.tcpBindings.delete(port);
  }

  // ---- receive path ----------------------------------------------------------------------

  /**
   * Entry point for a frame from a device's receiver. A device that delivers synchronously from
   * inside transmit() (a software loopback, a bridge) would re-enter the stack mid-update, so
   * such frames are copied and deferred to the next poll().
   */
  receiveFrame(iface: NetInterface, frame: Uint8Array, checksumVerified = false): void {
    if (this.depth > 0) {
      if (this.deferred.length < 4096) this.deferred.push([iface, Uint8Array.from(frame), checksumVerified]);
      else iface.counters.rxDropped++;
      return;
    }
    this.depth++;
    try {
      this.processFrame(iface, frame, checksumVerified);
    } finally {
      this.depth--;
    }
    // What this frame made wait (frames looped back while inside, segments held until an
    // address came) goes now rather than at the next poll, which may be a second away.
    if (this.depth === 0 && !this.draining) this.drainDeferred();
  }

  /** Receives the frames deferred while inside the stack (not nested); returns how many. */
  private drainDeferred(): number {
    if (this.draining) return 0;
    this.draining = true;
    let n = 0;
    try {
      while (this.deferred.length > 0 && n < 4096) {
        const batch = this.deferred;
        this.deferred = [];
        n += batch.length;
        for (const [iface, frame, verified] of batch) this.receiveFrame(iface, frame, verified);
      }
    } finally {
      this.draining = false;
    }
    return n;
  }

  private processFrame(iface: NetInterface, frame: Uint8Array, checksumVerified: boolean): void {
    const now = this.clock.monotonicNs();
    if (now > this.current) this.current = now;
    const c = iface.counters;
    c.rxFrames++;
    c.rxBytes += frame.length;
    try {
      const eth = parseEthernet(frame);
      const group = isMulticastMac(eth.destination);
      if (!iface.loopback && !group && !macEquals(eth.destination, iface.mac)) {
        c.rxDropped++;
        return;
      }
      if (group) c.rxMulticast++;
      switch (eth.etherType) {
        case EtherType.ARP:
          this.receiveArp(iface, eth.payload);
          break;
        case EtherType.IPv4:
          this.receiveIpv4(iface, eth.payload, frame, checksumVerified);
          break;
        case EtherType.IPv6:
          if (iface.ipv6Enabled) this.receiveIpv6(iface, eth.payload, checksumVerified);
          break;
        default:
          c.rxNoProto++;
          c.rxDropped++;
      }
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      iface.counters.rxMalformed++;
      this.counters.malformed++;
    }
    this.rearmHousekeeping();
  }

  private receiveArp(iface: NetInterface, bytes: Uint8Array): void {
    const p = parseArp(bytes);
    const targetIsUs = iface.hasIpv4(p.targetIp);
    // RFC 826 "merge": update an existing entry, create one only if the request is for us.
    const waiting = iface.arp.learn(p.senderIp, p.senderMac, this.current, targetIsUs);
    for (const f of waiting) this.transmitResolved(iface, f, p.senderMac);
    if (targetIsUs && p.operation === ArpOperation.Request) {
      const frame = new Uint8Array(ETHERNET_HEADER_BYTES + ARP_PACKET_BYTES);
      emitEthernetHeader(frame, p.senderMac, iface.mac, EtherType.ARP);
      emitArp(
        {
          operation: ArpOperation.Reply,
          senderMac: iface.mac,
          senderIp: p.targetIp,
          targetMac: p.senderMac,
          targetIp: p.senderIp,
        },
        frame,
        ETHERNET_HEADER_BYTES,
      );
      this.deviceTransmit(iface, frame);
    }
  }

  private receiveIpv4(iface: NetInterface, bytes: Uint8Array, frame: Uint8Array, checksumVerified: boolean): void {
    const p = parseIpv4(bytes, !iface.device.offloads.rxChecksumVerified);
    this.counters.ipv4Received++;
    // RFC 1122 §3.2.1.3: a broadcast/multicast source, or (from outside) one of our own
    // addresses, is martian. The latter also defuses LAND-style self-connected SYNs.
    if (p.source >>> 28 >= 0xe || (!iface.loopback && this.isLocalV4(p.source))) {
      this.counters.martians++;
      return;
    }
    const dst = p.destination;
    const limitedBroadcast = dst === 0xffffffff;
    let forUs = limitedBroadcast || dst >>> 28 === 0xe || this.isLocalV4(dst);
    let broadcast = limitedBroadcast || dst >>> 28 === 0xe;
    if (!forUs) {
      for (const a of iface.ipv4) {
        const host = a.prefixLength >= 31 ? 0 : 0xffffffff >>> a.prefixLength;
        if (host && (dst & host) === host && prefixMatches(IpAddress.v4(dst).bytes, a.address.bytes, a.prefixLength)) {
          forUs = broadcast = true;
        }
      }
    }
    // An unconfigured interface accepts unicast too: a DHCP server may unicast to yiaddr (RFC 2131 §4.1).
    if (!forUs && iface.ipv4.length === 0 && p.protocol === IpProtocol.UDP) forUs = true;
    // A SYN that comes before the lease (a port forward's host side accepted a connection while
    // the guest was booting) would be lost, and a forwarder that does not retransmit it
    // (Debian 12's passt waits 10 s) leaves the client hanging: keep it until an address comes.
    if (!forUs && iface.ipv4.length === 0 && !iface.loopback && p.protocol === IpProtocol.TCP) {
      if (iface.heldUntilConfigured.length < HELD_UNCONFIGURED_FRAMES) {
        iface.heldUntilConfigured.push({
          frame: Uint8Array.from(frame),
          atNs: this.current,
          verified: checksumVerified,
        });
        // Counted when it goes through input again.
        iface.counters.rxFrames--;
        iface.counters.rxBytes -= frame.length;
        return;
      }
    }
    if (!forUs) {
      iface.counters.rxDropped++;
      return;
    }
    let payload = p.payload;
    if (p.moreFragments || p.fragmentOffset > 0) {
      const whole = this.reassembler.add(
        { source: p.source, destination: p.destination, protocol: p.protocol, identification: p.identification },
        p.fragmentOffset,
        p.moreFragments,
        p.payload,
        this.current,
      );
      if (!whole) return;
      this.counters.fragmentsReassembled++;
      payload = whole;
    }
    const meta: IpMeta = {
      iface,
      source: IpAddress.v4(p.source),
      destination: IpAddress.v4(dst),
      broadcast,
      packet: bytes.subarray(0, p.totalLength),
      verifyChecksums: !iface.device.offloads.rxChecksumVerified && !checksumVerified,
    };
    const fragmentNonInitial = p.fragmentOffset > 0;
    switch (p.protocol) {
      case IpProtocol.ICMP:
        this.receiveIcmpv4(meta, payload);
        break;
      case IpProtocol.UDP:
        this.receiveUdp(meta, payload, pseudoSumV4(p.source, dst, IpProtocol.UDP, payload.length));
        break;
      case IpProtocol.TCP:
        if (!broadcast) this.receiveTcp(meta, payload, pseudoSumV4(p.source, dst, IpProtocol.TCP, payload.length));
        break;
      default:
        if (!broadcast && !fragmentNonInitial) this.sendIcmpError(meta, 'protocol-unreachable');
    }
  }

  private receiveIpv6(iface: NetInterface, bytes: Uint8Array, checksumVerified: boolean): void {
    const p = parseIpv6(bytes);
    this.counters.ipv6Received++;
    if (
      p.source[0] === 0xff ||
      (!iface.loopback && !isUnspecifiedBytes(p.source) && this.isLocalV6(IpAddress.fromBytes(p.source)))
    ) {
      this.counters.martians++;
      return;
    }
    const dst = IpAddress.fromBytes(p.destination);
    const multicast = dst.isMulticast();
    let forUs: boolean;
    if (multicast) {
      forUs = dst.equals(ALL_NODES) || iface.ipv6.some((a) => solicitedNode(a.address).equals(dst));
    } else {
      forUs = iface.hasIpv6(dst) || (iface.loopback && this.isLocalV6(dst));
      // RFC 4862 §5.4.3: NS/NA for a tentative address still reach DAD processing.
      if (!forUs && p.protocol === IpProtocol.ICMPv6 && iface.ipv6.some((a) => a.address.equals(dst))) forUs = true;
    }
    if (!forUs) {
      iface.counters.rxDropped++;
      return;
    }
    let payload = p.payload;
    let protocol = p.protocol;
    if (p.fragment && (p.fragment.offset > 0 || p.fragment.moreFragments)) {
      // RFC 8200 §4.5 (an atomic fragment, RFC 6946, is processed as is).
      const whole = this.reassembler.addKeyed(
        `6/${IpAddress.fromBytes(p.source).key}/${dst.key}/${p.fragment.identification}`,
        p.fragment.offset,
        p.fragment.moreFragments,
        p.payload,
        this.current,
        p.protocol,
      );
      if (!whole || whole.meta === undefined) return;
      this.counters.fragmentsReassembled++;
      payload = whole.data;
      protocol = whole.meta;
    }
    const meta: IpMeta = {
      iface,
      source: IpAddress.fromBytes(p.source),
      destination: dst,
      broadcast: multicast,
      packet: bytes.subarray(0, IPV6_HEADER_BYTES + ((bytes[4]! << 8) | bytes[5]!)),
      verifyChecksums: !iface.device.offloads.rxChecksumVerified && !checksumVerified,
    };
    switch (protocol) {
      case IpProtocol.ICMPv6:
        this.receiveIcmpv6(meta, payload, p.hopLimit);
        break;
      case IpProtocol.UDP:
        this.receiveUdp(meta, payload, pseudoSumV6(p.source, p.destination, IpProtocol.UDP, payload.length));
        break;
      case IpProtocol.TCP:
        if (!multicast)
          this.receiveTcp(meta, payload, pseudoSumV6(p.source, p.destination, IpProtocol.TCP, payload.length));
        break;
      case IpProtocol.NoNext:
        break;
      default:
        if (!multicast) this.sendIcmpError(meta, 'protocol-unreachable');
    }
  }

  private receiveIcmpv4(meta: IpMeta, bytes: Uint8Array): void {
    const m = parseIcmpv4(bytes, meta.verifyChecksums);
    switch (m.type) {
      case Icmpv4Type.EchoRequest:
        if (meta.broadcast) return; // RFC 1122 §3.2.2.6 allows silence for broadcast echo
        this.sendIp(meta.destination, meta.source, IpProtocol.ICMP, bytes.length, undefined, (out, off) => {
          out.set(emitIcmpv4(Icmpv4Type.EchoReply, 0, m.rest, m.body), off);
        });
        break;
      case Icmpv4Type.EchoReply:
        this.pingSockets.get(m.rest >>> 16)?.deliver(meta.source, m.rest & 0xffff, m.body, this.current);
        break;
      case Icmpv4Type.DestinationUnreachable:
        // RFC 1191 §4: "fragmentation needed" carries the next-hop MTU in the low 16 bits.
        if (m.code === Icmpv4Unreachable.FragmentationNeeded)
          this.receiveIcmpError(m.body, 4, false, m.rest & 0xffff || 576);
        else
          this.receiveIcmpError(m.body, 4, m.code === Icmpv4Unreachable.Port || m.code === Icmpv4Unreachable.Protocol);
        break;
      default:
        break;
    }
  }

  private receiveIcmpv6(meta: IpMeta, bytes: Uint8Array, hopLimit: number): void {
    const m = parseIcmpv6(bytes, meta.source.bytes, meta.destination.bytes, meta.verifyChecksums);
    const iface = meta.iface;
    switch (m.type) {
      case Icmpv6Type.EchoRequest: {
        if (meta.broadcast && !meta.destination.equals(ALL_NODES)) return;
        const src = meta.broadcast ? this.sourceFor(meta.source, iface) : meta.destination;
        if (!src) return;
        this.sendIp(src, meta.source, IpProtocol.ICMPv6, bytes.length, undefined, (out, off) => {
          out.set(emitIcmpv6(Icmpv6Type.EchoReply, 0, m.rest, m.body, src.bytes, meta.source.bytes), off);
        });
        break;
      }
      case Icmpv6Type.EchoReply:
        this.pingSockets.get(m.rest >>> 16)?.deliver(meta.source, m.rest & 0xffff, m.body, this.current);
        break;
      case Icmpv6Type.DestinationUnreachable:
        this.receiveIcmpError(m.body, 6, m.code === 4 || m.code === 1);
        break;
      case Icmpv6Type.PacketTooBig:
        this.receiveIcmpError(m.body, 6, false, m.rest); // RFC 8201 §4
        break;
      case Icmpv6Type.NeighborSolicitation: {
        if (hopLimit !== 255 || m.body.length < 16) return; // RFC 4861 §7.1.1
        const target = IpAddress.fromBytes(m.body.subarray(0, 16));
        const opts = parseNdpOptions(m.body, 16);
        const mine = iface.ipv6.find((a) => a.address.equals(target));
        if (!mine) return;
        if (mine.state === 'tentative') {
          // RFC 4862 §5.4.3: another node probing the same tentative address is a duplicate.
          if (meta.source.isUnspecified()) mine.state = 'duplicate';
          return;
        }
        if (mine.state === 'duplicate') return;
        if (opts.sourceLinkLayer && !meta.source.isUnspecified()) {
          for (const f of iface.ndp.learnFromSolicitation(meta.source.key, opts.sourceLinkLayer, this.current))
            this.transmitResolved(iface, f, opts.sourceLinkLayer);
        }
        const dad = meta.source.isUnspecified();
        const dst = dad ? ALL_NODES : meta.source;
        // RFC 4861 §7.2.4: solicited (unless answering DAD), override, with our link-layer address.
        const flags = (dad ? 0 : 0x40000000) | 0x20000000;
        const body = ndpTargetBody(target.bytes, NdpOption.TargetLinkLayer, iface.mac);
        this.sendIp(
          target,
          dst,
          IpProtocol.ICMPv6,
          8 + body.length,
          iface,
          (out, off) => {
            out.set(emitIcmpv6(Icmpv6Type.NeighborAdvertisement, 0, flags, body, target.bytes, dst.bytes), off);
          },
          255,
        );
        break;
      }
      case Icmpv6Type.NeighborAdvertisement: {
        if (hopLimit !== 255 || m.body.length < 16) return;
        const target = IpAddress.fromBytes(m.body.subarray(0, 16));
        const opts = parseNdpOptions(m.body, 16);
        const mine = iface.ipv6.find((a) => a.address.equals(target));
        if (mine) {
          if (mine.state === 'tentative') mine.state = 'duplicate'; // RFC 4862 §5.4.4
          return;
        }
        const router = (m.rest & 0x80000000) !== 0;
        const solicited = (m.rest & 0x40000000) !== 0;
        const override = (m.rest & 0x20000000) !== 0;
        const released = iface.ndp.advertisement(
          target.key,
          opts.targetLinkLayer,
          solicited,
          override,
          router,
          this.current,
        );
        const mac = opts.targetLinkLayer;
        if (mac) for (const f of released) this.transmitResolved(iface, f, mac);
        break;
      }
      case Icmpv6Type.RouterAdvertisement:
        if (hopLimit !== 255 || !meta.source.isLinkLocal()) return; // RFC 4861 §6.1.2
        this.receiveRouterAdvertisement(iface, meta.source, parseRouterAdvertisement(m));
        break;
      default:
        break;
    }
  }

  /** RFC 4861 §6.3.4 and RFC 4862 §5.5.3: default router, on-link prefixes, SLAAC addresses. */
  private receiveRouterAdvertisement(
    iface: NetInterface,
    router: IpAddress,
    ra: ReturnType<typeof parseRouterAdvertisement>,
  ): void {
    const now = this.current;
    if (ra.options.sourceLinkLayer) {
      for (const f of iface.ndp.learnFromSolicitation(router.key, ra.options.sourceLinkLayer, now))
        this.transmitResolved(iface, f, ra.options.sourceLinkLayer);
    }
    iface.nextRouterSolicitationNs = Infinity;
    this.routes.remove(
      (r) => r.iface === iface && r.source === 'ra' && r.gateway !== undefined && r.gateway.equals(router),
    );
    if (ra.routerLifetimeS > 0) this.addGateway(iface, router, 'ra');
    if (ra.options.mtu && ra.options.mtu >= 1280 && ra.options.mtu <= iface.device.mtu) iface.mtu = ra.options.mtu;
    for (const p of ra.options.prefixes) {
      if (p.prefix[0] === 0xfe && (p.prefix[1]! & 0xc0) === 0x80) continue; // §5.5.3 b: ignore link-local prefix
      if (p.preferredLifetimeS > p.validLifetimeS) continue; // §5.5.3 c
      const prefix = maskPrefix(IpAddress.fromBytes(p.prefix), p.prefixLength);
      if (p.onLink)
        this.routes.add({
          prefix,
          prefixLength: p.prefixLength,
          gateway: undefined,
          iface,
          metric: 0,
          source: 'ra-prefix',
        });
      if (!p.autonomous || p.prefixLength !== 64) continue;
      const b = new Uint8Array(16);
      b.set(prefix.bytes.subarray(0, 8), 0);
      b.set(iface.interfaceIdentifier(), 8);
      const address = IpAddress.fromBytes(b);
      const lifetime = (s: number) => (s === 0xffffffff ? Infinity : now + s * 1e9);
      const existing = iface.ipv6.find((a) => a.address.equals(address));
      if (existing) {
        // §5.5.3 e: the two-hour rule guards against a forged short lifetime.
        const twoHours = 7200e9;
        const remaining = existing.validUntilNs - now;
        const proposed = lifetime(p.validLifetimeS) - now;
        if (proposed > twoHours || proposed > remaining) existing.validUntilNs = lifetime(p.validLifetimeS);
        else if (remaining > twoHours) existing.validUntilNs = now + twoHours;
        existing.preferredUntilNs = lifetime(p.preferredLifetimeS);
        if (existing.state === 'deprecated' && existing.preferredUntilNs > now) existing.state = 'preferred';
      } else if (p.validLifetimeS > 0) {
        this.addIpv6Address(iface, address, 64, 'slaac');
        const a = iface.ipv6.find((x) => x.address.equals(address))!;
        a.validUntilNs = lifetime(p.validLifetimeS);
        a.preferredUntilNs = lifetime(p.preferredLifetimeS);
      }
    }
  }

  /**
   * An ICMP error quoting one of our packets: hard errors end UDP/TCP exchanges (RFC 1122
   * §4.2.3.9); a path-MTU report (RFC 1191, RFC 8201) shrinks the TCP connection's segments.
   */
  private receiveIcmpError(quoted: Uint8Array, version: IpVersion, hard: boolean, pathMtu?: number): void {
    if (!hard && pathMtu === undefined) return;
    try {
      let protocol: number;
      let l4: Uint8Array;
      let src: IpAddress;
      let dst: IpAddress;
      if (version === 4) {
        if (quoted.length < 20) return;
        const ihl = (quoted[0]! & 0x0f) * 4;
        if (quoted.length < ihl + 8 || ihl < 20) return;
        protocol = quoted[9]!;
        src = IpAddress.fromBytes(quoted.subarray(12, 16));
        dst = IpAddress.fromBytes(quoted.subarray(16, 20));
        l4 = quoted.subarray(ihl);
      } else {
        if (quoted.length < 48) return;
        protocol = quoted[6]!;
        src = IpAddress.fromBytes(quoted.subarray(8, 24));
        dst = IpAddress.fromBytes(quoted.subarray(24, 40));
        l4 = quoted.subarray(40);
      }
      const sport = (l4[0]! << 8) | l4[1]!;
      const dport = (l4[2]! << 8) | l4[3]!;
      if (protocol === IpProtocol.UDP) {
        for (const s of this.udpBindings.get(sport) ?? []) {
          if (s.remote && s.remote.address.equals(dst) && s.remote.port === dport) s.deliverError(Errno.ECONNREFUSED);
        }
      } else if (protocol === IpProtocol.TCP) {
        const conn = this.connections.get(connectionKey(src, sport, dst, dport));
        if (conn && pathMtu !== undefined) {
          // RFC 8201 §5.2 / RFC 1191 §3: never below the protocol minimum (1280, or 68 → use 576 for TCP).
          const floor = version === 4 ? 576 : 1280;
          conn.pathMtuChanged(
            Math.max(pathMtu, floor) - (version === 4 ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES) - TCP_HEADER_BYTES,
            this.current,
          );
          return;
        }
        if (conn && conn.state === 'SYN-SENT') {
          conn.error = Errno.ECONNREFUSED;
          conn.abort(this.current);
        }
      }
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
    }
  }

  private receiveUdp(meta: IpMeta, bytes: Uint8Array, pseudo: number): void {
    const d = parseUdp(bytes, meta.verifyChecksums ? pseudo : undefined, meta.source.version === 6);
    const list = this.udpBindings.get(d.destinationPort);
    const from = { address: meta.source, port: d.sourcePort };
    let delivered = false;
    if (list) {
      for (const s of list) {
        if (s.closed) continue;
        const bound = s.local!.address;
        if (bound.version !== meta.destination.version && !isDual(s.family, s.v6Only, bound)) continue;
        if (!bound.isUnspecified() && !bound.equals(meta.destination)) continue;
        if (s.boundDevice && s.boundDevice !== meta.iface.name) continue;
        if (s.remote && (!s.remote.address.equals(from.address) || s.remote.port !== from.port)) continue;
        s.deliver(d.payload, from);
        delivered = true;
        if (!meta.broadcast) break;
      }
    }
    if (!delivered) {
      this.counters.udpNoPort++;
      if (!meta.broadcast) this.sendIcmpError(meta, 'port-unreachable');
    }
  }

  private receiveTcp(meta: IpMeta, bytes: Uint8Array, pseudo: number): void {
    const seg = parseTcp(bytes, meta.verifyChecksums ? pseudo : undefined);
    const now = this.current;
    const key = connectionKey(meta.destination, seg.destinationPort, meta.source, seg.sourcePort);
    const conn = this.connections.get(key);
    if (conn) {
      // RFC 9293 §3.6.1 / RFC 6191: a new SYN above the old window may reopen a TIME-WAIT pair.
      const reopen =
        conn.state === 'TIME-WAIT' &&
        seg.flags & TcpFlags.SYN &&
        !(seg.flags & TcpFlags.ACK) &&
        Sequence.gt(seg.seq, conn.rcvNxt);
      if (!reopen) {
        conn.onSegment(seg, now);
        return;
      }
      conn.dropSilently();
    }
    const listener = this.findListener(meta.destination, seg.destinationPort);
    const f = seg.flags;
    if (listener && f & TcpFlags.SYN && !(f & (TcpFlags.ACK | TcpFlags.RST))) {
      // Listen backlog: half-open plus unaccepted connections are bounded; beyond it the SYN is
      // dropped and the client retries. Without SYN cookies, SYNs from addresses that never
      // answer would hold the listener for the whole SYN-ACK retransmission schedule (~63 s),
      // so the oldest half-open child gives way once it has waited a full initial RTO (1 s):
      // a live peer answers within a round trip. The queue is in arrival order.
      if (listener.synQueue.size + listener.acceptQueue.length >= listener.backlog) {
        const oldest = listener.synQueue.values().next().value;
        if (oldest === undefined || now - (this.synQueuedAtNs.get(oldest) ?? now) < SYN_QUEUE_EVICT_AGE_NS) return;
        this.counters.tcpSynQueueEvictions++;
        oldest.dropSilently();
        listener.synQueue.delete(oldest);
      }
      const child = this.createConnection(
        {
          localAddress: meta.destination,
          localPort: seg.destinationPort,
          remoteAddress: meta.source,
          remotePort: seg.sourcePort,
        },
        { ...this.tcpDefaults, ...listener.options },
        true,
      );
      listener.synQueue.add(child);
      this.synQueuedAtNs.set(child, now);
      child.onEstablished = (c) => {
        listener.synQueue.delete(c);
        if (listener.closed) {
          c.abort(this.current);
          return;
        }
        listener.acceptQueue.push(c);
        listener.notify();
      };
      child.acceptSyn(seg, now);
      return;
    }
    if (listener && f & TcpFlags.RST) return;
    this.sendReset(meta, seg);
  }

  /** RFC 9293 §3.10.7.1: answer a segment for no connection with a RST (never a RST for a RST). */
  private sendReset(meta: IpMeta, seg: TcpSegment): void {
    if (seg.flags & TcpFlags.RST) return;
    const len = seg.payload.length + (seg.flags & TcpFlags.SYN ? 1 : 0) + (seg.flags & TcpFlags.FIN ? 1 : 0);
    const rst: TcpSegment =
      seg.flags & TcpFlags.ACK
        ? {
            sourcePort: seg.destinationPort,
            destinationPort: seg.sourcePort,
            seq: seg.ack,
            ack: 0,
            flags: TcpFlags.RST,
            window: 0,
            urgent: 0,
            options: {},
            payload: EMPTY,
          }
        : {
            sourcePort: seg.destinationPort,
            destinationPort: seg.sourcePort,
            seq: 0,
            ack: (seg.seq + len) >>> 0,
            flags: TcpFlags.RST | TcpFlags.ACK,
            window: 0,
            urgent: 0,
            options: {},
            payload: EMPTY,
          };
    this.counters.tcpResetsSent++;
    this.sendIp(meta.destination, meta.source, IpProtocol.TCP, TCP_HEADER_BYTES, undefined, (out, off, pseudo) =>
      emitTcp(out, off, rst, pseudo),
    );
  }

  /** Exact address first, then the family's wildcard, then (for IPv4) a dual-stack IPv6 wildcard. */
  private findListener(address: IpAddress, port: number): TcpSocket | undefined {
    const ls = this.listeners.get(port);
    if (!ls) return undefined;
    let wildcard: TcpSocket | undefined;
    let dual: TcpSocket | undefined;
    for (const l of ls) {
      if (l.closed) continue;
      const a = l.local!.address;
      if (a.version === address.version) {
        if (a.equals(address)) return l;
        if (a.isUnspecified()) wildcard = l;
      } else if (isDual(l.family, l.v6Only, a)) dual = l;
    }
    return wildcard ?? dual;
  }

  // ---- ICMP output -----------------------------------------------------------------------

  /** RFC 1812 §4.3.2.8: ICMP errors are rate-limited (a fixed number per second here). */
  private icmpAllowed(): boolean {
    const now = this.current;
    if (now - this.icmpWindowStartNs >= 1e9) {
      this.icmpWindowStartNs = now;
      this.icmpSentInWindow = 0;
    }
    if (this.icmpSentInWindow >= this.icmpRate) {
      this.counters.icmpErrorsSuppressed++;
      return false;
    }
    this.icmpSentInWindow++;
    return true;
  }

  private sendIcmpError(meta: IpMeta, kind: IcmpErrorKind): void {
    if (meta.broadcast || meta.source.isUnspecified() || meta.source.isMulticast()) return;
    if (!this.isLocal(meta.destination)) return; // never answer from an address we do not hold
    if (!this.icmpAllowed()) return;
    this.counters.icmpErrorsSent++;
    if (meta.source.version === 4) {
      // RFC 792: the original header plus at least 8 bytes; RFC 1812 §4.3.2.3 allows up to 576 total.
      const quote = meta.packet.subarray(0, Math.min(meta.packet.length, 576 - 28));
      const code = kind === 'port-unreachable' ? Icmpv4Unreachable.Port : Icmpv4Unreachable.Protocol;
      const msg = emitIcmpv4(Icmpv4Type.DestinationUnreachable, code, 0, quote);
      this.sendIp(meta.destination, meta.source, IpProtocol.ICMP, msg.length, undefined, (out, off) =>
        out.set(msg, off),
      );
    } else {
      // RFC 4443 §3.1: as much of the packet as fits in the minimum MTU (1280).
      const quote = meta.packet.subarray(0, Math.min(meta.packet.length, 1280 - 48));
      const code = kind === 'port-unreachable' ? 4 : 1;
      const msg = emitIcmpv6(
        Icmpv6Type.DestinationUnreachable,
        code,
        0,
        quote,
        meta.destination.bytes,
        meta.source.bytes,
      );
      this.sendIp(meta.destination, meta.source, IpProtocol.ICMPv6, msg.length, undefined, (out, off) =>
        out.set(msg, off),
      );
    }
  }

  private sendEcho(dst: IpAddress, id: number, seq: number, payload: Uint8Array): void {
    const src = this.sourceFor(dst);
    if (!src) throw new KernelError(Errno.ENETUNREACH, `no route to ${dst.toString()}`);
    const rest = ((id << 16) | seq) >>> 0;
    if (dst.version === 4) {
      const msg = emitIcmpv4(Icmpv4Type.EchoRequest, 0, rest, payload);
      this.sendIp(src, dst, IpProtocol.ICMP, msg.length, undefined, (out, off) => out.set(msg, off));
    } else {
      const msg = emitIcmpv6(Icmpv6Type.EchoRequest, 0, rest, payload, src.bytes, dst.bytes);
      this.sendIp(src, dst, IpProtocol.ICMPv6, msg.length, undefined, (out, off) => out.set(msg, off));
    }
  }

  private sendNeighborSolicitation(iface: NetInterface, target: IpAddress, dst: IpAddress, src: IpAddress): void {
    const withSource = !src.isUnspecified();
    const body = ndpTargetBody(
      target.bytes,
      withSource ? NdpOption.SourceLinkLayer : undefined,
      withSource ? iface.mac : undefined,
    );
    this.sendIp(
      src,
      dst,
      IpProtocol.ICMPv6,
      8 + body.length,
      iface,
      (out, off) => {
        out.set(emitIcmpv6(Icmpv6Type.NeighborSolicitation, 0, 0, body, src.bytes, dst.bytes), off);
      },
      255,
    );
  }

  private sendRouterSolicitation(iface: NetInterface): void {
    const src = iface.ipv6.find((a) => a.origin === 'link-local' && a.state === 'preferred')?.address ?? IPV6_ANY;
    const withSource = !src.isUnspecified();
    const body = new Uint8Array(4 + (withSource ? 8 : 0));
    if (withSource) {
      body[4] = NdpOption.SourceLinkLayer;
      body[5] = 1;
      body.set(iface.mac, 6);
    }
    this.sendIp(
      src,
      ALL_ROUTERS,
      IpProtocol.ICMPv6,
      4 + body.length,
      iface,
      (out, off) => {
        const msg = emitIcmpv6(Icmpv6Type.RouterSolicitation, 0, 0, body.subarray(4), src.bytes, ALL_ROUTERS.bytes);
        out.set(msg, off);
      },
      255,
    );
  }

  // ---- IP output -------------------------------------------------------------------------

  private routeFor(dst: IpAddress, device?: NetInterface): Route<NetInterface> | undefined {
    if (this.isLocal(dst))
      return { prefix: dst, prefixLength: 128, gateway: undefined, iface: this.loopback, metric: 0, source: 'local' };
    if (device) {
      if (dst.isMulticast() || dst.isBroadcast() || dst.isLinkLocal())
        return { prefix: dst, prefixLength: 0, gateway: undefined, iface: device, metric: 0, source: 'device' };
      const r = this.routes
        .list()
        .find(
          (x) =>
            x.iface === device &&
            x.prefix.version === dst.version &&
            prefixMatches(x.prefix.bytes, dst.bytes, x.prefixLength),
        );
      return r;
    }
    if (dst.isBroadcast()) {
      const iface =
        this.interfaces.find((i) => !i.loopback && i.ipv4.length > 0) ?? this.interfaces.find((i) => !i.loopback);
      return iface
        ? { prefix: dst, prefixLength: 32, gateway: undefined, iface, metric: 0, source: 'broadcast' }
        : undefined;
    }
    return this.routes.lookup(dst);
  }

  /** Source address selection: the outgoing interface's address of the same family (RFC 6724 in brief). */
  sourceFor(dst: IpAddress, device?: NetInterface): IpAddress | undefined {
    const route = this.routeFor(dst, device);
    if (!route) return undefined;
    const iface = route.iface;
    if (dst.version === 4) {
      if (iface.loopback && this.isLocalV4(dst.v4)) return dst;
      return (
        iface.ipv4.find((a) => prefixMatches(a.address.bytes, dst.bytes, a.prefixLength))?.address ??
        iface.ipv4[0]?.address
      );
    }
    if (iface.loopback && this.isLocalV6(dst)) return dst;
    const usable = iface.ipv6.filter((a) => a.state === 'preferred');
    const wantLinkLocal = dst.isLinkLocal() || dst.isMulticast();
    return (usable.find((a) => a.address.isLinkLocal() === wantLinkLocal) ?? usable[0])?.address;
  }

  /**
   * Builds and sends one IP packet. `write` fills the upper-layer bytes at `offset` given the
   * pseudo-header sum. IPv4 packets larger than the MTU are fragmented (RFC 791 §3.2).
   */
  private sendIp(
    src: IpAddress,
    dst: IpAddress,
    protocol: number,
    l4Length: number,
    device: NetInterface | undefined,
    write: (out: Uint8Array, offset: number, pseudo: number, partial: boolean) => void,
    hopLimit = 64,
    /** TSO: the frame is a TCP segment the device cuts into segments of this many bytes. */
    segmentSize?: number,
  ): boolean {
    const route = this.routeFor(dst, device);
    if (!route) {
      this.counters.noRoute++;
      return false;
    }
    const iface = route.iface;
    const nextHop = route.gateway ?? dst;
    // A route that changed to a device without TSO gets the segment the old way (fragments).
    const cut = segmentSize !== undefined && iface.device.offloads.tcpSegmentation === true;
    if (dst.version === 4) {
      const total = IPV4_HEADER_BYTES + l4Length;
      const id = (this.ipv4Identification = (this.ipv4Identification + 1) & 0xffff);
      if (total <= iface.mtu || (cut && total <= 0xffff)) {
        const frame = new Uint8Array(ETHERNET_HEADER_BYTES + total);
        emitIpv4Header(frame, ETHERNET_HEADER_BYTES, {
          source: src.v4,
          destination: dst.v4,
          protocol,
          payloadLength: l4Length,
          identification: id,
          ttl: hopLimit,
          dontFragment: protocol === IpProtocol.TCP,
        });
        const big = total > iface.mtu;
        write(frame, ETHERNET_HEADER_BYTES + IPV4_HEADER_BYTES, pseudoSumV4(src.v4, dst.v4, protocol, l4Length), big);
        if (big) this.segmentSizes.set(frame, segmentSize!);
        this.transmitIp(iface, nextHop, frame, EtherType.IPv4);
        return true;
      }
      const whole = new Uint8Array(l4Length);
      write(whole, 0, pseudoSumV4(src.v4, dst.v4, protocol, l4Length), false);
      const chunk = (iface.mtu - IPV4_HEADER_BYTES) & ~7;
      for (let off = 0; off < l4Length; off += chunk) {
        const len = Math.min(chunk, l4Length - off);
        const frame = new Uint8Array(ETHERNET_HEADER_BYTES + IPV4_HEADER_BYTES + len);
        emitIpv4Header(frame, ETHERNET_HEADER_BYTES, {
          source: src.v4,
          destination: dst.v4,
          protocol,
          payloadLength: len,
          identification: id,
          ttl: hopLimit,
          moreFragments: off + len < l4Length,
          fragmentOffset: off,
        });
        frame.set(whole.subarray(off, off + len), ETHERNET_HEADER_BYTES + IPV4_HEADER_BYTES);
        this.transmitIp(iface, nextHop, frame, EtherType.IPv4);
      }
      return true;
    }
    const big = IPV6_HEADER_BYTES + l4Length > iface.mtu;
    if (big && !(cut && IPV6_HEADER_BYTES + l4Length <= 0xffff)) {
      // RFC 8200 §4.5: the source fragments, with a Fragment header in each piece.
      const whole = new Uint8Array(l4Length);
      write(whole, 0, pseudoSumV6(src.bytes, dst.bytes, protocol, l4Length), false);
      const id = (this.ipv6Identification = (this.ipv6Identification + 1) >>> 0);
      const chunk = (iface.mtu - IPV6_HEADER_BYTES - 8) & ~7;
      for (let off = 0; off < l4Length; off += chunk) {
        const len = Math.min(chunk, l4Length - off);
        const f = new Uint8Array(ETHERNET_HEADER_BYTES + IPV6_HEADER_BYTES + 8 + len);
        emitIpv6Header(f, ETHERNET_HEADER_BYTES, {
          source: src.bytes,
          destination: dst.bytes,
          protocol: IpProtocol.IPv6Frag,
          payloadLength: 8 + len,
          hopLimit,
        });
        const h = ETHERNET_HEADER_BYTES + IPV6_HEADER_BYTES;
        f[h] = protocol;
        const fo = off | (off + len < l4Length ? 1 : 0);
        f[h + 2] = fo >>> 8;
        f[h + 3] = fo & 0xff;
        f[h + 4] = id >>> 24;
        f[h + 5] = (id >>> 16) & 0xff;
        f[h + 6] = (id >>> 8) & 0xff;
        f[h + 7] = id & 0xff;
        f.set(whole.subarray(off, off + len), h + 8);
        this.transmitIp(iface, nextHop, f, EtherType.IPv6);
      }
      return true;
    }
    const frame = new Uint8Array(ETHERNET_HEADER_BYTES + IPV6_HEADER_BYTES + l4Length);
    emitIpv6Header(frame, ETHERNET_HEADER_BYTES, {
      source: src.bytes,
      destination: dst.bytes,
      protocol,
      payloadLength: l4Length,
      hopLimit,
    });
    write(frame, ETHERNET_HEADER_BYTES + IPV6_HEADER_BYTES, pseudoSumV6(src.bytes, dst.bytes, protocol, l4Length), big);
    if (big) this.segmentSizes.set(frame, segmentSize!);
    this.transmitIp(iface, nextHop, frame, EtherType.IPv6);
    return true;
  }

  /** Fills in the Ethernet header, resolving the next hop's MAC (ARP/NDP) or queueing the frame. */
  private transmitIp(iface: NetInterface, nextHop: IpAddress, frame: Uint8Array, etherType: number): void {
    frame.set(iface.mac, 6);
    frame[12] = etherType >>> 8;
    frame[13] = etherType & 0xff;
    if (iface.loopback) {
      frame.set(iface.mac, 0);
      this.deviceTransmit(iface, frame);
      return;
    }
    if (nextHop.version === 4) {
      const ip = nextHop.v4;
      const directed = iface.ipv4.some(
        (a) => a.prefixLength < 31 && (ip & (0xffffffff >>> a.prefixLength)) >>> 0 === 0xffffffff >>> a.prefixLength,
      );
      if (nextHop.isBroadcast() || directed) frame.set(BROADCAST_MAC, 0);
      else if (nextHop.isMulticast()) frame.set(ipv4MulticastMac(nextHop), 0);
      else {
        const mac = iface.arp.lookup(ip, this.current);
        if (mac) {
          frame.set(mac, 0);
          if (iface.arp.takeRefreshRequest(ip, this.current)) {
            this.sendArpRequest(iface, ip, mac);
            this.rearmHousekeeping();
          }
        } else {
          if (iface.arp.enqueue(ip, frame, this.current)) this.sendArpRequest(iface, ip);
          this.rearmHousekeeping();
          return;
        }
      }
      this.deviceTransmit(iface, frame);
      return;
    }
    if (nextHop.isMulticast()) {
      frame.set(ipv6MulticastMac(nextHop), 0);
      this.deviceTransmit(iface, frame);
      return;
    }
    const r = iface.ndp.resolve(nextHop.key, frame, this.current);
    if (r.mac) {
      frame.set(r.mac, 0);
      this.deviceTransmit(iface, frame);
      if (iface.ndp.deadlineChanged) {
        iface.ndp.deadlineChanged = false;
        this.rearmHousekeeping();
      }
      return;
    }
    if (r.solicit) this.solicitNeighbor(iface, nextHop, 'multicast');
    this.rearmHousekeeping();
  }

  private transmitResolved(iface: NetInterface, frame: Uint8Array, mac: Uint8Array): void {
    frame.set(mac, 0);
    this.deviceTransmit(iface, frame);
  }

  private deviceTransmit(iface: NetInterface, frame: Uint8Array): void {
    if (iface.txQueue.length > 0) {
      // Keep order behind frames already waiting for the device.
      if (iface.txQueue.length < TX_QUEUE_FRAMES) iface.txQueue.push(frame);
      else iface.counters.txDropped++;
      return;
    }
    this.depth++;
    try {
      if (iface.device.transmit(frame, this.segmentSizes.get(frame))) countSent(iface, frame);
      else iface.txQueue.push(frame);
    } finally {
      this.depth--;
    }
  }

  /** NetDevice.onTransmitReady: hand the device what it refused before, in order. */
  private drainTxQueue(iface: NetInterface): void {
    const q = iface.txQueue;
    this.depth++;
    try {
      let sent = 0;
      while (sent < q.length && iface.device.transmit(q[sent]!, this.segmentSizes.get(q[sent]!)))
        countSent(iface, q[sent++]!);
      q.splice(0, sent);
    } finally {
      this.depth--;
    }
  }

  /** An ARP request, broadcast or (re-verifying a known entry) unicast to `to`. */
  private sendArpRequest(iface: NetInterface, ip: number, to: Uint8Array = BROADCAST_MAC): void {
    const src = iface.ipv4[0]?.address.v4 ?? 0;
    const frame = new Uint8Array(ETHERNET_HEADER_BYTES + ARP_PACKET_BYTES);
    emitEthernetHeader(frame, to, iface.mac, EtherType.ARP);
    emitArp(
      {
        operation: ArpOperation.Request,
        senderMac: iface.mac,
        senderIp: src,
        targetMac: new Uint8Array(6),
        targetIp: ip,
      },
      frame,
      ETHERNET_HEADER_BYTES,
    );
    this.deviceTransmit(iface, frame);
  }

  private solicitNeighbor(iface: NetInterface, target: IpAddress, how: 'multicast' | 'unicast'): void {
    const src = this.sourceFor(target, iface) ?? iface.linkLocalAddress();
    if (how === 'multicast') this.sendNeighborSolicitation(iface, target, solicitedNode(target), src);
    else this.sendNeighborSolicitation(iface, target, target, src);
  }

  // ---- housekeeping (ARP/NDP/reassembly/DAD/RS timers) ------------------------------------

  private rearmHousekeeping(): void {
    let next = this.reassembler.nextDeadlineNs();
    for (const i of this.interfaces) {
      next = Math.min(next, i.arp.nextDeadlineNs(), i.ndp.nextDeadlineNs(), i.nextRouterSolicitationNs);
      for (const a of i.ipv6) {
        if (a.state === 'tentative') next = Math.min(next, a.dadDoneAtNs);
        else if (a.state !== 'duplicate')
          next = Math.min(next, a.state === 'preferred' ? a.preferredUntilNs : a.validUntilNs);
      }
    }
    if (next === Infinity) {
      if (this.housekeeping.armed) this.timers.cancel(this.housekeeping);
    } else if (!this.housekeeping.armed || this.housekeeping.deadlineNs !== next) {
      this.housekeeping.deadlineNs = next;
      this.timers.arm(this.housekeeping);
    }
  }

  private onHousekeeping(): void {
    const now = this.current;
    this.reassembler.expire(now);
    for (const iface of this.interfaces) {
      for (const ip of iface.arp.expire(now)) this.sendArpRequest(iface, ip, iface.arp.peek(ip) ?? BROADCAST_MAC);
      for (const a of iface.ndp.expire(now)) this.solicitNeighbor(iface, IpAddress.parse(a.address), a.solicit);
      for (let k = iface.ipv6.length - 1; k >= 0; k--) {
        const a = iface.ipv6[k]!;
        if (a.state === 'tentative' && now >= a.dadDoneAtNs) {
          a.state = 'preferred';
          if (a.origin === 'slaac' && a.preferredUntilNs <= now) a.state = 'deprecated';
        }
        if (a.state === 'preferred' && now >= a.preferredUntilNs) a.state = 'deprecated';
        if (now >= a.validUntilNs) iface.ipv6.splice(k, 1);
      }
      if (now >= iface.nextRouterSolicitationNs) {
        this.sendRouterSolicitation(iface);
        iface.routerSolicitationsSent++;
        iface.nextRouterSolicitationNs =
          iface.routerSolicitationsSent >= MAX_RTR_SOLICITATIONS ? Infinity : now + RTR_SOLICITATION_INTERVAL_NS;
      }
    }
    this.rearmHousekeeping();
  }

  // ---- helpers ---------------------------------------------------------------------------

  private isLocalV4(ip: number): boolean {
    for (const i of this.interfaces) if (i.hasIpv4(ip)) return true;
    return false;
  }

  private isLocalV6(a: IpAddress): boolean {
    for (const i of this.interfaces) if (i.hasIpv6(a)) return true;
    return false;
  }

  /** True for an address configured on this host (delivered through loopback). */
  isLocal(a: IpAddress): boolean {
    return a.version === 4 ? this.isLocalV4(a.v4) : this.isLocalV6(a);
  }

  private checkLocalAddress(a: IpAddress): void {
    if (a.isUnspecified() || a.isMulticast() || a.isBroadcast()) return;
    if (!this.isLocal(a)) throw new KernelError(Errno.EADDRNOTAVAIL, `${a.toString()} is not a local address`);
  }

  private pickEphemeral(free: (port: number) => boolean): number {
    const span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
    for (let i = 0; i < span; i++) {
      const p = this.ephemeralNext;
      this.ephemeralNext = p === EPHEMERAL_HIGH ? EPHEMERAL_LOW : p + 1;
      if (free(p)) return p;
    }
    throw new KernelError(Errno.EADDRNOTAVAIL, 'no ephemeral port free');
  }
}

const EMPTY = new Uint8Array(0);

function connectionKey(la: IpAddress, lp: number, ra: IpAddress, rp: number): string {
  return `${la.key}|${lp}|${ra.key}|${rp}`;
}

/** Two bindings of one port collide if their addresses can receive the same packet. */
function overlaps(a: IpAddress, aDual: boolean, b: IpAddress, bDual: boolean): boolean {
  if (a.version !== b.version) return (a.version === 6 && aDual) || (b.version === 6 && bDual);
  return a.isUnspecified() || b.isUnspecified() || a.equals(b);
}

function isDual(family: IpVersion, v6Only: boolean, bound: IpAddress): boolean {
  return family === 6 && !v6Only && bound.version === 6 && bound.isUnspecified();
}

function isUnspecifiedBytes(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function maskPrefix(a: IpAddress, prefixLength: number): IpAddress {
  const b = Uint8Array.from(a.bytes);
  for (let i = 0; i < b.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLength - 8 * i));
    b[i] = b[i]! & ((0xff00 >> bits) & 0xff);
  }
  return IpAddress.fromBytes(b);
}

/** A frame the device took: BSD's if_opackets, if_obytes and (group bit of the destination) if_omcasts. */
function countSent(iface: NetInterface, frame: Uint8Array): void {
  const c = iface.counters;
  c.txFrames++;
  c.txBytes += frame.length;
  if ((frame[0]! & 1) !== 0) c.txMulticast++;
}

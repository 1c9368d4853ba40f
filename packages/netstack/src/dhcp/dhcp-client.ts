// DHCPv4 client, RFC 2131 §4.4: INIT → SELECTING → REQUESTING → BOUND, then RENEWING at T1
// (unicast to the server) and REBINDING at T2 (broadcast), back to INIT when the lease ends or a
// NAK arrives. Retransmissions back off exponentially from 4 s to 64 s with ±1 s randomisation
// (§4.1). A lease applies the address, netmask, default gateway and DNS servers to the stack.
// Not implemented: DHCPDECLINE after an ARP probe finds the address in use (RFC 5227), INFORM.
import { Timer } from '@osv-ts/core-sched';
import { Errno, FormatError, KernelError } from '@osv-ts/kernel-api';
import type { NetInterface } from '../iface/net-interface.js';
import type { NetStack } from '../net-stack.js';
import type { UdpSocket } from '../socket/udp-socket.js';
import {
  DhcpMessageType,
  DhcpOption,
  dhcpAddresses,
  dhcpU32,
  emitDhcp,
  parseDhcp,
  u32Bytes,
  type DhcpMessage,
} from '../wire/dhcpv4.js';
import { IPV4_BROADCAST, IpAddress, maskToPrefixLength } from '../wire/ip-address.js';

export type DhcpState = 'INIT' | 'SELECTING' | 'REQUESTING' | 'BOUND' | 'RENEWING' | 'REBINDING' | 'STOPPED';

export interface DhcpLease {
  address: IpAddress;
  prefixLength: number;
  routers: IpAddress[];
  dnsServers: IpAddress[];
  domainName: string | undefined;
  server: IpAddress;
  leaseTimeS: number;
  renewalTimeS: number;
  rebindingTimeS: number;
  obtainedAtNs: number;
}

const SECOND = 1e9;
const CLIENT_PORT = 68;
const SERVER_PORT = 67;

export class DhcpClient {
  state: DhcpState = 'STOPPED';
  lease: DhcpLease | undefined;
  /** Called on every change of lease (bound, renewed, lost). */
  onLease: ((lease: DhcpLease | undefined) => void) | undefined;
  readonly history: DhcpState[] = [];
  private socket: UdpSocket | undefined;
  private xid = 0;
  private offer: DhcpMessage | undefined;
  private attempt = 0;
  private startedNs = 0;
  private readonly timer: Timer;
  private timerAction: 'retransmit' | 'renew' | 'rebind' | 'expire' = 'retransmit';

  constructor(
    private readonly stack: NetStack,
    private readonly iface: NetInterface,
    private readonly hostname?: string,
  ) {
    this.timer = new Timer(Infinity, () => this.onTimer());
  }

  start(): void {
    if (this.socket) return;
    const s = this.stack.udpSocket(4);
    s.setOption('SO_REUSEADDR', true);
    s.setOption('SO_BROADCAST', true);
    s.setOption('SO_BINDTODEVICE', this.iface.name);
    s.bind({ address: this.stack.anyAddress(4), port: CLIENT_PORT });
    this.socket = s;
    s.waitQueue.add({ wake: () => this.drain() });
    this.enterInit();
  }

  stop(): void {
    const s = this.socket;
    this.socket = undefined; // close() wakes drain(), which must find no socket
    s?.close();
    if (this.timer.armed) this.stack.timers.cancel(this.timer);
    this.setState('STOPPED');
  }

  private setState(s: DhcpState): void {
    this.state = s;
    this.history.push(s);
  }

  private now(): number {
    return this.stack.nowNs;
  }

  private newXid(): void {
    const b = new Uint8Array(4);
    this.stack.entropy.fill(b);
    this.xid = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  private enterInit(): void {
    this.setState('SELECTING');
    this.newXid();
    this.offer = undefined;
    this.attempt = 0;
    this.startedNs = this.now();
    this.send();
  }

  /** §4.1: 4 s, 8 s, ... up to 64 s, each randomised by ±1 s. */
  private backoffNs(): number {
    const base = Math.min(4 * 2 ** this.attempt, 64) * SECOND;
    const r = new Uint8Array(1);
    this.stack.entropy.fill(r);
    return base + ((r[0]! / 255) * 2 - 1) * SECOND;
  }

  private arm(atNs: number, action: DhcpClient['timerAction']): void {
    this.timerAction = action;
    this.timer.deadlineNs = atNs;
    this.stack.timers.arm(this.timer);
  }

  private message(type: number): DhcpMessage {
    const options = new Map<number, Uint8Array>();
    options.set(DhcpOption.MessageType, Uint8Array.of(type));
    const cid = new Uint8Array(7);
    cid[0] = 1;
    cid.set(this.iface.mac, 1);
    options.set(DhcpOption.ClientIdentifier, cid);
    options.set(
      DhcpOption.ParameterRequestList,
      Uint8Array.of(
        DhcpOption.SubnetMask,
        DhcpOption.Router,
        DhcpOption.DomainNameServer,
        DhcpOption.DomainName,
        DhcpOption.InterfaceMtu,
      ),
    );
    options.set(DhcpOption.MaxMessageSize, Uint8Array.of(0x05, 0xdc));
    if (this.hostname) options.set(DhcpOption.HostName, new TextEncoder().encode(this.hostname));
    const chaddr = new Uint8Array(16);
    chaddr.set(this.iface.mac);
    return {
      op: 1,
      xid: this.xid,
      secs: Math.min(0xffff, Math.floor((this.now() - this.startedNs) / SECOND)),
      broadcast: this.state === 'SELECTING' || this.state === 'REQUESTING' || this.state === 'REBINDING',
      ciaddr: 0,
      yiaddr: 0,
      siaddr: 0,
      giaddr: 0,
      chaddr,
      options,
    };
  }

  private send(): void {
    const s = this.socket;
    if (!s) return;
    let m: DhcpMessage;
    let to = IPV4_BROADCAST;
    switch (this.state) {
      case 'SELECTING':
        m = this.message(DhcpMessageType.Discover);
        break;
      case 'REQUESTING': {
        // §4.3.2 SELECTING → REQUESTING: server identifier and requested address, ciaddr 0.
        m = this.message(DhcpMessageType.Request);
        m.options.set(DhcpOption.RequestedIpAddress, u32Bytes(this.offer!.yiaddr));
        m.options.set(DhcpOption.ServerIdentifier, this.offer!.options.get(DhcpOption.ServerIdentifier)!);
        break;
      }
      case 'RENEWING':
      case 'REBINDING':
        // §4.3.2: RENEWING/REBINDING fill ciaddr and omit server id and requested address.
        m = this.message(DhcpMessageType.Request);
        m.ciaddr = this.lease!.address.v4;
        if (this.state === 'RENEWING') to = this.lease!.server;
        break;
      default:
        return;
    }
    try {
      s.sendTo(emitDhcp(m), { address: to, port: SERVER_PORT });
    } catch (e) {
      if (!(e instanceof KernelError) || e.errno !== Errno.ENETUNREACH) throw e;
    }
    if (this.state === 'SELECTING' || this.state === 'REQUESTING') {
      this.arm(this.now() + this.backoffNs(), 'retransmit');
      this.attempt++;
    } else {
      // §4.4.5: retransmit after half the time remaining until T2 (or expiry), at least 60 s.
      const l = this.lease!;
      const limit = l.obtainedAtNs + (this.state === 'RENEWING' ? l.rebindingTimeS : l.leaseTimeS) * SECOND;
      const next = this.now() + Math.max((limit - this.now()) / 2, 60 * SECOND);
      if (next < limit) this.arm(next, 'retransmit');
      else this.arm(limit, this.state === 'RENEWING' ? 'rebind' : 'expire');
    }
  }

  private onTimer(): void {
    switch (this.timerAction) {
      case 'retransmit':
        if (this.state === 'REQUESTING' && this.attempt >= 4) {
          this.enterInit();
          return;
        }
        this.send();
        return;
      case 'renew':
        this.setState('RENEWING');
        this.send();
        return;
      case 'rebind':
        this.setState('REBINDING');
        this.send();
        return;
      case 'expire':
        this.dropLease();
        this.enterInit();
        return;
    }
  }

  private drain(): void {
    const s = this.socket;
    if (!s || s.closed) return;
    const buf = new Uint8Array(1500);
    for (;;) {
      let bytes: number;
      try {
        bytes = s.recvFrom(buf).bytes;
      } catch (e) {
        if (e instanceof KernelError && e.errno === Errno.EAGAIN) break;
        throw e;
      }
      try {
        this.receive(parseDhcp(buf.subarray(0, bytes)));
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
      }
    }
    if (this.socket) s.waitQueue.add({ wake: () => this.drain() });
  }

  private receive(m: DhcpMessage): void {
    if (m.op !== 2 || m.xid !== this.xid) return;
    for (let i = 0; i < 6; i++) if (m.chaddr[i] !== this.iface.mac[i]) return;
    const type = m.options.get(DhcpOption.MessageType)?.[0];
    switch (this.state) {
      case 'SELECTING':
        if (type !== DhcpMessageType.Offer || !m.options.get(DhcpOption.ServerIdentifier) || m.yiaddr === 0) return;
        this.offer = m;
        this.setState('REQUESTING');
        this.attempt = 0;
        this.send();
        return;
      case 'REQUESTING':
      case 'RENEWING':
      case 'REBINDING':
        if (type === DhcpMessageType.Nak) {
          this.dropLease();
          this.enterInit();
        } else if (type === DhcpMessageType.Ack && m.yiaddr !== 0) {
          this.bind(m);
        }
        return;
      default:
        return;
    }
  }

  private bind(m: DhcpMessage): void {
    const now = this.now();
    const mask = dhcpU32(m.options.get(DhcpOption.SubnetMask));
    let prefixLength = 24;
    if (mask !== undefined) {
      try {
        prefixLength = maskToPrefixLength(IpAddress.v4(mask));
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
      }
    }
    const leaseTimeS = dhcpU32(m.options.get(DhcpOption.LeaseTime)) ?? 3600;
    const server = dhcpU32(m.options.get(DhcpOption.ServerIdentifier)) ?? this.lease?.server.v4 ?? 0;
    const domain = m.options.get(DhcpOption.DomainName);
    const lease: DhcpLease = {
      address: IpAddress.v4(m.yiaddr),
      prefixLength,
      routers: dhcpAddresses(m.options.get(DhcpOption.Router)).map((a) => IpAddress.v4(a)),
      dnsServers: dhcpAddresses(m.options.get(DhcpOption.DomainNameServer)).map((a) => IpAddress.v4(a)),
      domainName: domain ? new TextDecoder().decode(domain).replace(/\0+$/, '') : undefined,
      server: IpAddress.v4(server),
      leaseTimeS,
      // RFC 2131 §4.4.5 defaults: T1 = 0.5 lease, T2 = 0.875 lease.
      renewalTimeS: dhcpU32(m.options.get(DhcpOption.RenewalTime)) ?? leaseTimeS * 0.5,
      rebindingTimeS: dhcpU32(m.options.get(DhcpOption.RebindingTime)) ?? leaseTimeS * 0.875,
      obtainedAtNs: now,
    };
    const changed = !this.lease || !this.lease.address.equals(lease.address);
    if (changed && this.lease) this.stack.removeIpv4Addresses(this.iface, 'dhcp');
    this.lease = lease;
    this.stack.addIpv4Address(this.iface, lease.address, prefixLength, 'dhcp');
    this.stack.routes.remove((r) => r.source === 'dhcp' && r.iface === this.iface);
    if (lease.routers[0]) this.stack.addGateway(this.iface, lease.routers[0], 'dhcp');
    if (lease.dnsServers.length > 0) this.stack.nameservers = lease.dnsServers;
    if (lease.domainName) this.stack.searchDomains = [lease.domainName];
    this.setState('BOUND');
    if (leaseTimeS !== 0xffffffff) this.arm(now + lease.renewalTimeS * SECOND, 'renew');
    else if (this.timer.armed) this.stack.timers.cancel(this.timer);
    this.onLease?.(lease);
  }

  private dropLease(): void {
    if (!this.lease) return;
    this.stack.removeIpv4Addresses(this.iface, 'dhcp');
    this.stack.routes.remove((r) => r.source === 'dhcp' && r.iface === this.iface);
    this.lease = undefined;
    this.onLease?.(undefined);
  }
}

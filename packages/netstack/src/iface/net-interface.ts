// One network interface: its device, addresses (IPv4 with prefix; IPv6 with SLAAC/DAD state
// per RFC 4862), neighbour caches and counters. Behaviour lives in the stack; this is state.
import type { NetDevice } from '@osv-ts/kernel-api';
import { IpAddress } from '../wire/ip-address.js';
import { ArpCache } from './arp-cache.js';
import { NeighborCache } from './neighbor-cache.js';

export interface Ipv4InterfaceAddress {
  address: IpAddress;
  prefixLength: number;
  /** Who configured it ('static', 'dhcp'). */
  origin: string;
}

export type Ipv6AddressState = 'tentative' | 'preferred' | 'deprecated' | 'duplicate';

export interface Ipv6InterfaceAddress {
  address: IpAddress;
  prefixLength: number;
  state: Ipv6AddressState;
  origin: 'link-local' | 'slaac' | 'static';
  /** Absolute ns; Infinity for no limit. */
  validUntilNs: number;
  preferredUntilNs: number;
  /** When DAD (RFC 4862 §5.4) completes for a tentative address. */
  dadDoneAtNs: number;
}

/**
 * Per-interface counters, BSD if_data's (net/if.h): frames and their bytes as they crossed the
 * device (Ethernet header included, as BSD's ifi_ibytes/ifi_obytes count them), multicast and
 * broadcast frames (BSD counts both in ifi_imcasts/ifi_omcasts), frames of an EtherType no
 * protocol takes (ifi_noproto), drops and malformed frames.
 */
export interface InterfaceCounters {
  rxFrames: number;
  txFrames: number;
  rxBytes: number;
  txBytes: number;
  rxMulticast: number;
  txMulticast: number;
  rxNoProto: number;
  rxDropped: number;
  txDropped: number;
  rxMalformed: number;
}

export class NetInterface {
  readonly ipv4: Ipv4InterfaceAddress[] = [];
  readonly ipv6: Ipv6InterfaceAddress[] = [];
  readonly arp = new ArpCache();
  readonly ndp = new NeighborCache();
  readonly counters: InterfaceCounters = {
    rxFrames: 0,
    txFrames: 0,
    rxBytes: 0,
    txBytes: 0,
    rxMulticast: 0,
    txMulticast: 0,
    rxNoProto: 0,
    rxDropped: 0,
    txDropped: 0,
    rxMalformed: 0,
  };
  /**
   * Frames the device refused (its queue was full), sent in order once it calls
   * onTransmitReady; bounded, beyond which frames are dropped like a full qdisc.
   */
  readonly txQueue: Uint8Array[] = [];
  /** TCP frames received before the interface had an IPv4 address (NetStack holds them). */
  readonly heldUntilConfigured: { readonly frame: Uint8Array; readonly atNs: number; readonly verified: boolean }[] =
    [];
  /** MTU learned from a Router Advertisement (RFC 4861 §6.3.4), else the device's. */
  mtu: number;
  ipv6Enabled = false;
  routerSolicitationsSent = 0;
  nextRouterSolicitationNs = Infinity;

  constructor(
    readonly name: string,
    readonly device: NetDevice,
    readonly loopback: boolean,
  ) {
    this.mtu = device.mtu;
  }

  get mac(): Uint8Array {
    return this.device.mac;
  }

  hasIpv4(address: number): boolean {
    for (const a of this.ipv4) if (a.address.v4 === address) return true;
    return false;
  }

  /** Usable (non-tentative, non-duplicate) IPv6 address equal to `address`. */
  hasIpv6(address: IpAddress): boolean {
    return this.ipv6.some((a) => a.address.equals(address) && (a.state === 'preferred' || a.state === 'deprecated'));
  }

  /** RFC 4291 Appendix A: modified EUI-64 interface identifier from the MAC. */
  interfaceIdentifier(): Uint8Array {
    const m = this.mac;
    return Uint8Array.of(m[0]! ^ 0x02, m[1]!, m[2]!, 0xff, 0xfe, m[3]!, m[4]!, m[5]!);
  }

  linkLocalAddress(): IpAddress {
    const b = new Uint8Array(16);
    b[0] = 0xfe;
    b[1] = 0x80;
    b.set(this.interfaceIdentifier(), 8);
    return IpAddress.fromBytes(b);
  }
}

/** Solicited-node multicast address ff02::1:ffXX:XXXX (RFC 4291 §2.7.1). */
export function solicitedNode(address: IpAddress): IpAddress {
  const b = new Uint8Array(16);
  b[0] = 0xff;
  b[1] = 0x02;
  b[11] = 0x01;
  b[12] = 0xff;
  b.set(address.bytes.subarray(13, 16), 13);
  return IpAddress.fromBytes(b);
}

/** Ethernet multicast MAC for an IPv6 group, 33:33 + low 32 bits (RFC 2464 §7). */
export function ipv6MulticastMac(group: IpAddress): Uint8Array {
  return Uint8Array.of(0x33, 0x33, group.bytes[12]!, group.bytes[13]!, group.bytes[14]!, group.bytes[15]!);
}

/** Ethernet multicast MAC for an IPv4 group, 01:00:5e + low 23 bits (RFC 1112 §6.4). */
export function ipv4MulticastMac(group: IpAddress): Uint8Array {
  return Uint8Array.of(0x01, 0x00, 0x5e, group.bytes[1]! & 0x7f, group.bytes[2]!, group.bytes[3]!);
}

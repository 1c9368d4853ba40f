// Ethernet II frames (IEEE 802.3 clause 3.2.6 type field). No FCS: devices strip it. 802.1Q tags
// and 802.3 length-framed (LLC) frames are reported as such and left to the caller to drop.
import { need, put16, u16 } from './bounds.js';

export const EtherType = { IPv4: 0x0800, ARP: 0x0806, IPv6: 0x86dd, VLAN: 0x8100 } as const;
export const ETHERNET_HEADER_BYTES = 14;
export const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export interface EthernetFrame {
  readonly destination: Uint8Array;
  readonly source: Uint8Array;
  readonly etherType: number;
  /** The payload (a view into the frame). */
  readonly payload: Uint8Array;
}

export function parseEthernet(frame: Uint8Array): EthernetFrame {
  need(frame, 0, ETHERNET_HEADER_BYTES, 'ethernet', 'header');
  return {
    destination: frame.subarray(0, 6),
    source: frame.subarray(6, 12),
    etherType: u16(frame, 12),
    payload: frame.subarray(ETHERNET_HEADER_BYTES),
  };
}

/** Writes the 14-byte header at the start of `frame`. */
export function emitEthernetHeader(
  frame: Uint8Array,
  destination: Uint8Array,
  source: Uint8Array,
  etherType: number,
): void {
  frame.set(destination, 0);
  frame.set(source, 6);
  put16(frame, 12, etherType);
}

export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4] && a[5] === b[5];
}

export function isMulticastMac(mac: Uint8Array): boolean {
  return (mac[0]! & 1) === 1;
}

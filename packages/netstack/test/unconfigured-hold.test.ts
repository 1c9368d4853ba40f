// TCP segments that reach an interface before it has an address (a port forward's SYN while the
// guest waits for its DHCP lease) are kept and answered once the address comes, instead of being
// lost until the peer retransmits (passt, Debian 12's, never does: its client waits 10 s).
import { describe, expect, it } from 'vitest';
import { Errno } from '@osv-ts/kernel-api';
import { IpAddress } from '../src/index.js';
import * as wire from '../src/wire/index.js';
import { errnoOf, makePair } from './harness.js';

/** A pair whose stack `a` has lost its address; b knows a's MAC, as a forwarder would. */
function unconfiguredPair(seed: number) {
  const p = makePair(seed);
  const ia = p.a.interface('eth0')!;
  p.a.removeIpv4Addresses(ia, 'static');
  p.b.interface('eth0')!.arp.learn(p.addrA.v4, ia.mac, p.clock.monotonicNs(), true);
  const syns: number[] = [];
  p.link.tap = (_f, frame) => {
    const eth = wire.parseEthernet(frame);
    if (eth.etherType !== wire.EtherType.IPv4) return;
    const ip = wire.parseIpv4(eth.payload);
    if (ip.protocol === wire.IpProtocol.TCP && ip.payload[13]! === 0x02) syns.push(p.clock.monotonicNs());
  };
  return { ...p, ia, syns };
}

describe('segments before an address', () => {
  it('are answered when the address is added, without waiting for a retransmission', () => {
    const p = unconfiguredPair(41);
    const listener = p.a.tcpSocket();
    listener.bind({ address: IpAddress.parse('0.0.0.0'), port: 8000 });
    listener.listen(4);
    const client = p.b.tcpSocket();
    expect(errnoOf(() => client.connect({ address: p.addrA, port: 8000 }))).toBe(Errno.EINPROGRESS);
    p.sim.runFor(100e6);
    expect(client.connection!.state).toBe('SYN-SENT');
    p.a.addIpv4Address(p.ia, p.addrA, 24);
    p.sim.runFor(10e6);
    expect(client.connection!.state).toBe('ESTABLISHED');
    expect(p.syns).toHaveLength(1);
    expect(p.ia.counters.rxDropped).toBe(0);
  });

  it('older than 3 s are dropped (the peer has retransmitted by then)', () => {
    const p = unconfiguredPair(42);
    const client = p.b.tcpSocket();
    errnoOf(() => client.connect({ address: p.addrA, port: 8000 }));
    p.sim.runFor(100e6);
    const held = p.ia.heldUntilConfigured.length;
    expect(held).toBe(1);
    client.close(); // no retransmissions into the queue while the held SYN ages
    p.sim.runFor(4e9);
    expect(p.ia.heldUntilConfigured).toHaveLength(held);
    p.a.addIpv4Address(p.ia, p.addrA, 24);
    expect(p.ia.heldUntilConfigured).toHaveLength(0);
    expect(p.ia.counters.rxDropped).toBe(held);
  });

  it('are held at most 32 at a time', () => {
    const p = unconfiguredPair(43);
    for (let i = 0; i < 40; i++) errnoOf(() => p.b.tcpSocket().connect({ address: p.addrA, port: 9000 + i }));
    p.sim.runFor(100e6);
    expect(p.ia.heldUntilConfigured).toHaveLength(32);
    expect(p.ia.counters.rxDropped).toBe(8);
  });
});

// The DHCPv4 client against a simulated server (a second stack with a UDP socket on port 67).
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@osv-ts/core-sched';
import {
  DhcpClient,
  IpAddress,
  NetStack,
  PERFECT_LINK,
  SeededRandom,
  SimulatedLink,
  Simulation,
  type UdpSocket,
} from '../src/index.js';
import * as wire from '../src/wire/index.js';

const { DhcpOption, DhcpMessageType } = wire;

class SimDhcpServer {
  readonly socket: UdpSocket;
  readonly log: string[] = [];
  answering = true;
  nakNext = false;
  private next = 100;
  private readonly leases = new Map<string, number>();

  constructor(
    private readonly stack: NetStack,
    private readonly leaseTimeS: number,
  ) {
    const s = stack.udpSocket();
    s.setOption('SO_BROADCAST', true);
    s.bind({ address: IpAddress.parse('0.0.0.0'), port: 67 });
    this.socket = s;
    const wait = () => s.waitQueue.add({ wake: () => (this.drain(), wait()) });
    wait();
  }

  private drain(): void {
    const buf = new Uint8Array(1500);
    for (;;) {
      let n: number;
      try {
        n = this.socket.recvFrom(buf).bytes;
      } catch {
        return;
      }
      const m = wire.parseDhcp(buf.subarray(0, n));
      const type = m.options.get(DhcpOption.MessageType)![0]!;
      const mac = Array.from(m.chaddr.subarray(0, 6)).join(':');
      this.log.push(`${type === DhcpMessageType.Discover ? 'DISCOVER' : m.ciaddr ? 'REQUEST(renew)' : 'REQUEST'}`);
      if (!this.answering) continue;
      let addr = this.leases.get(mac);
      if (addr === undefined) this.leases.set(mac, (addr = IpAddress.parse(`10.0.0.${this.next++}`).v4));
      let reply: number;
      if (type === DhcpMessageType.Discover) reply = DhcpMessageType.Offer;
      else if (this.nakNext) {
        reply = DhcpMessageType.Nak;
        this.nakNext = false;
      } else reply = DhcpMessageType.Ack;
      const options = new Map<number, Uint8Array>([
        [DhcpOption.MessageType, Uint8Array.of(reply)],
        [DhcpOption.ServerIdentifier, IpAddress.parse('10.0.0.1').bytes],
        [DhcpOption.SubnetMask, IpAddress.parse('255.255.255.0').bytes],
        [DhcpOption.Router, IpAddress.parse('10.0.0.1').bytes],
        [DhcpOption.DomainNameServer, IpAddress.parse('10.0.0.53').bytes],
        [DhcpOption.DomainName, new TextEncoder().encode('sim.test')],
        [DhcpOption.LeaseTime, wire.u32Bytes(this.leaseTimeS)],
      ]);
      const out = wire.emitDhcp({
        op: 2,
        xid: m.xid,
        secs: 0,
        broadcast: m.broadcast,
        ciaddr: m.ciaddr,
        yiaddr: reply === DhcpMessageType.Nak ? 0 : addr,
        siaddr: 0,
        giaddr: 0,
        chaddr: m.chaddr,
        options,
      });
      const to = m.ciaddr && !m.broadcast ? IpAddress.v4(m.ciaddr) : IpAddress.parse('255.255.255.255');
      this.socket.sendTo(out, { address: to, port: 68 });
      this.log.push(reply === DhcpMessageType.Offer ? 'OFFER' : reply === DhcpMessageType.Ack ? 'ACK' : 'NAK');
    }
  }
}

function setup(seed: number, leaseTimeS: number, loss = 0) {
  const clock = new VirtualClock();
  const link = new SimulatedLink(clock, new SeededRandom(seed), { ...PERFECT_LINK, loss });
  const server = new NetStack({ clock, entropy: new SeededRandom(seed + 1) });
  const client = new NetStack({ clock, entropy: new SeededRandom(seed + 2) });
  const si = server.addInterface(link.a, { name: 'eth0', ipv6: false });
  const ci = client.addInterface(link.b, { name: 'eth0', ipv6: false });
  server.addIpv4Address(si, IpAddress.parse('10.0.0.1'), 24);
  const dhcpServer = new SimDhcpServer(server, leaseTimeS);
  const dhcp = new DhcpClient(client, ci, 'guest');
  const sim = new Simulation(clock, [server, client], [link]);
  return { clock, link, server, client, ci, dhcpServer, dhcp, sim };
}

describe('DHCPv4 client (RFC 2131)', () => {
  it('discovers, requests and applies address, netmask, gateway and DNS', () => {
    const t = setup(1, 3600);
    t.dhcp.start();
    t.sim.runUntil(() => t.dhcp.state === 'BOUND', 60e9);
    expect(t.dhcp.history).toEqual(['SELECTING', 'REQUESTING', 'BOUND']);
    expect(t.dhcpServer.log).toEqual(['DISCOVER', 'OFFER', 'REQUEST', 'ACK']);
    expect(t.ci.ipv4.map((a) => `${a.address.toString()}/${a.prefixLength}`)).toEqual(['10.0.0.100/24']);
    expect(t.client.routes.lookup(IpAddress.parse('1.1.1.1'))?.gateway?.toString()).toBe('10.0.0.1');
    expect(t.client.nameservers.map(String)).toEqual(['10.0.0.53']);
    expect(t.client.searchDomains).toEqual(['sim.test']);
    // The lease works: the client can now reach the server by TCP-free ping.
    const ping = t.client.pingSocket();
    ping.send(IpAddress.parse('10.0.0.1'), 1);
    t.sim.runFor(10e6);
    expect(ping.receive().from.toString()).toBe('10.0.0.1');
  });

  it('renews at T1 by unicast, rebinds at T2 by broadcast, and drops the lease at expiry', () => {
    const t = setup(2, 1000);
    t.dhcp.start();
    t.sim.runUntil(() => t.dhcp.state === 'BOUND', 60e9);
    const boundAt = t.clock.monotonicNs();
    t.sim.runFor(501e9); // past T1 = 500 s
    expect(t.dhcp.history.slice(-2)).toEqual(['RENEWING', 'BOUND']);
    expect(t.dhcpServer.log.slice(-2)).toEqual(['REQUEST(renew)', 'ACK']);
    const renewedAt = t.dhcp.lease!.obtainedAtNs;
    expect(Math.round((renewedAt - boundAt) / 1e9)).toBe(500);
    t.dhcpServer.answering = false;
    t.sim.runFor(500e9 + 376e9); // past the new T2 = 875 s
    expect(t.dhcp.state).toBe('REBINDING');
    expect(t.dhcp.history).toContain('RENEWING');
    t.sim.runFor(130e9); // past expiry at 1000 s
    expect(t.ci.ipv4).toEqual([]);
    expect(t.dhcp.lease).toBeUndefined();
    expect(t.dhcp.state).toBe('SELECTING');
    t.dhcpServer.answering = true;
    t.sim.runUntil(() => t.dhcp.state === 'BOUND', 300e9);
    expect(t.ci.ipv4.length).toBe(1);
  });

  it('restarts from INIT after a NAK', () => {
    const t = setup(3, 3600);
    t.dhcpServer.nakNext = true;
    t.dhcp.start();
    t.sim.runUntil(() => t.dhcp.state === 'BOUND', 120e9);
    expect(t.dhcp.history).toEqual(['SELECTING', 'REQUESTING', 'SELECTING', 'REQUESTING', 'BOUND']);
  });

  it('gets a lease over a link losing 40% of frames, backing off between tries', () => {
    const t = setup(4, 3600, 0.4);
    const discovers: number[] = [];
    t.link.tap = (from, frame) => {
      if (from !== t.link.b) return;
      const eth = wire.parseEthernet(frame);
      if (eth.etherType !== wire.EtherType.IPv4) return;
      const udp = wire.parseUdp(wire.parseIpv4(eth.payload).payload, undefined);
      const m = wire.parseDhcp(udp.payload);
      if (m.options.get(DhcpOption.MessageType)![0] === DhcpMessageType.Discover) discovers.push(t.clock.monotonicNs());
    };
    t.dhcp.start();
    t.sim.runUntil(() => t.dhcp.state === 'BOUND', 600e9);
    expect(t.ci.ipv4.length).toBe(1);
    expect(discovers.length).toBeGreaterThan(1);
    const gaps = discovers.slice(1).map((x, i) => (x - discovers[i]!) / 1e9);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(3);
  });
});

describe('DHCP client lifecycle', () => {
  it('stops cleanly, releasing its port', () => {
    const t = setup(5, 3600);
    t.dhcp.start();
    t.sim.runUntil(() => t.dhcp.state === 'BOUND', 60e9);
    t.dhcp.stop();
    expect(t.dhcp.state).toBe('STOPPED');
    const u = t.client.udpSocket();
    u.bind({ address: IpAddress.parse('0.0.0.0'), port: 68 });
    t.sim.runFor(3600e9);
    expect(t.dhcp.history.at(-1)).toBe('STOPPED');
  });
});

/// <reference types="node" />
// Interop with an implementation nobody here wrote: scapy (Debian's python3-scapy, installed by
// scripts/setup-system.sh) dissects a pcap of a simulated session and recomputes every checksum;
// and scapy-built packets are parsed by our wire layer.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpAddress, PcapWriter, readPcap, DnsResolver, type TcpSocket } from '../src/index.js';
import * as wire from '../src/wire/index.js';
import { errnoOf, makePair, pattern } from './harness.js';

const PYTHON = '/usr/bin/python3';

function python(script: string, args: string[]): string {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: run scripts/setup-system.sh (python3-scapy)`);
  try {
    return execFileSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string };
    if (err.stderr?.includes("No module named 'scapy'"))
      throw new Error('scapy missing: run scripts/setup-system.sh (python3-scapy)');
    throw e;
  }
}

const DISSECT = String.raw`
import json, sys
from scapy.all import rdpcap, Ether, IP, IPv6, TCP, UDP, ICMP, ARP, DNS, BOOTP, DHCP
from scapy.layers.inet6 import ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RS, _ICMPv6
pkts = rdpcap(sys.argv[1])
out = {"packets": len(pkts), "bad": [], "tcp_options": [], "sack_blocks": 0, "dns": [], "dhcp": [], "kinds": {}}
def kind(k):
    out["kinds"][k] = out["kinds"].get(k, 0) + 1
for i, p in enumerate(pkts):
    # Rebuild with checksums cleared: scapy recomputes them; compare with what we sent.
    q = p.copy()
    for layer in (IP, TCP, UDP, ICMP):
        if layer in q:
            del q[layer].chksum
    if IPv6 in q:
        for l in q[IPv6].iterpayloads():
            if hasattr(l, "cksum"):
                del l.cksum
            if isinstance(l, (TCP, UDP)):
                del l.chksum
    r = Ether(bytes(q))
    for layer, field in ((IP, "chksum"), (TCP, "chksum"), (UDP, "chksum"), (ICMP, "chksum")):
        if layer in p and getattr(p[layer], field) != getattr(r[layer], field):
            out["bad"].append([i, layer.__name__])
    if IPv6 in p:
        for a, b in zip(p[IPv6].iterpayloads(), r[IPv6].iterpayloads()):
            if hasattr(a, "cksum") and a.cksum != b.cksum:
                out["bad"].append([i, type(a).__name__])
    if TCP in p:
        kind("tcp")
        for name, val in p[TCP].options:
            if name not in out["tcp_options"]:
                out["tcp_options"].append(name)
            if name == "SAck":
                out["sack_blocks"] += len(val) // 2
    if ARP in p: kind("arp")
    if ICMP in p: kind("icmp%d" % p[ICMP].type)
    if ICMPv6ND_NS in p: kind("ns")
    if ICMPv6ND_NA in p: kind("na")
    if ICMPv6ND_RS in p: kind("rs")
    if ICMPv6EchoRequest in p: kind("echo6")
    if DNS in p:
        d = p[DNS]
        out["dns"].append([d.qd.qname.decode(), d.qr, d.ancount])
    if DHCP in p:
        for o in p[DHCP].options:
            if isinstance(o, tuple) and o[0] == "message-type":
                out["dhcp"].append(o[1])
print(json.dumps(out))
`;

const CRAFT = String.raw`
import sys
from scapy.all import wrpcap, Ether, IP, IPv6, TCP, UDP, ARP, DNS, DNSQR, DNSRR, BOOTP, DHCP, Raw
from scapy.layers.inet6 import IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, PadN
from scapy.layers.dns import dns_compress
e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
pk = [
  e/IP(src="10.0.0.2", dst="10.0.0.1")/TCP(sport=1234, dport=80, flags="S", seq=1000, window=29200,
      options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None), ("WScale", 7)]),
  e/IP(src="10.0.0.2", dst="10.0.0.1")/TCP(sport=1234, dport=80, flags="A", seq=1001, ack=5,
      options=[("NOP", None), ("NOP", None), ("SAck", (2000, 3000, 4000, 5000))])/Raw(b"hello"),
  e/IPv6(src="fe80::1", dst="fe80::2")/IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00\x00\x00\x00")])/IPv6ExtHdrDestOpt()/UDP(sport=5353, dport=53)/Raw(b"abc"),
  e/IPv6(src="fe80::1", dst="fe80::2", hlim=255)/ICMPv6ND_NA(tgt="fe80::1", R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:01"),
  e/IP(src="10.0.0.53", dst="10.0.0.2")/UDP(sport=53, dport=40000)/dns_compress(DNS(id=77, qr=1, qd=DNSQR(qname="www.example.com"),
      an=DNSRR(rrname="www.example.com", type="A", rdata="93.184.216.34")/DNSRR(rrname="www.example.com", type="A", rdata="93.184.216.35"))),
  e/IP(src="10.0.0.1", dst="255.255.255.255")/UDP(sport=67, dport=68)/BOOTP(op=2, xid=0x1234, yiaddr="10.0.0.100", chaddr=b"\x02\x00\x00\x00\x00\x0b")/DHCP(options=[
      ("message-type", "offer"), ("server_id", "10.0.0.1"), ("subnet_mask", "255.255.255.0"), ("router", "10.0.0.1"),
      ("name_server", "10.0.0.53", "10.0.0.54"), ("lease_time", 3600), "end"]),
  e/ARP(op=2, hwsrc="02:00:00:00:00:01", psrc="10.0.0.1", hwdst="02:00:00:00:00:02", pdst="10.0.0.2"),
]
wrpcap(sys.argv[1], pk)
`;

describe('interop with scapy', () => {
  it('scapy dissects our frames and agrees with every checksum', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netstack-'));
    const p = makePair(300, { loss: 0.03 }, {}, true);
    const pcap = new PcapWriter();
    p.link.tap = (_from, frame) => pcap.add(frame, p.clock.monotonicNs());
    p.sim.runFor(1.5e9); // DAD, router solicitations
    // TCP with loss (SACK blocks), a RST to a closed port, ping, UDP to a closed port, DNS.
    const l = p.a.tcpSocket();
    l.bind({ address: p.addrA, port: 80 });
    l.listen();
    const c = p.b.tcpSocket();
    errnoOf(() => c.connect({ address: p.addrA, port: 80 }));
    let s: TcpSocket | undefined;
    const data = pattern(300_000, 300);
    let sent = 0;
    p.sim.runUntil(() => {
      if (!s && l.acceptQueue.length) s = l.accept();
      if (c.connection!.established)
        for (let n; sent < data.length && (n = c.write(data.subarray(sent))) > 0;) sent += n;
      if (s) while (s.read(new Uint8Array(65536)) > 0);
      return sent === data.length && c.connection!.sndUna === c.connection!.sndMax;
    }, 60e9);
    errnoOf(() => p.b.tcpSocket().connect({ address: p.addrA, port: 81 }));
    p.b.pingSocket().send(p.addrA, 1, Uint8Array.of(1, 2, 3));
    p.b.udpSocket().sendTo(Uint8Array.of(1), { address: p.addrA, port: 9999 });
    p.b.pingSocket(6).send(p.a.interface('eth0')!.linkLocalAddress(), 2);
    const dnsServer = p.a.udpSocket();
    dnsServer.bind({ address: p.addrA, port: 53 });
    new DnsResolver(p.b, { config: { nameservers: [p.addrA], timeoutS: 1, attempts: 1 } }).lookup('www.example.com');
    p.sim.runFor(3e9);
    const file = join(dir, 'session.pcap');
    writeFileSync(file, pcap.bytes());
    const r = JSON.parse(python(DISSECT, [file])) as {
      packets: number;
      bad: unknown[];
      tcp_options: string[];
      sack_blocks: number;
      dns: Array<[string, number, number]>;
      kinds: Record<string, number>;
    };
    expect(r.packets).toBe(pcap.frames);
    expect(r.bad).toEqual([]);
    expect(r.tcp_options.sort()).toEqual(['MSS', 'NOP', 'SAck', 'SAckOK', 'Timestamp', 'WScale']);
    expect(r.sack_blocks).toBeGreaterThan(0);
    expect(r.kinds.arp).toBeGreaterThan(0);
    expect(r.kinds.icmp8).toBe(1);
    expect(r.kinds.icmp0).toBe(1);
    expect(r.kinds.icmp3).toBe(1);
    expect(r.kinds.ns).toBeGreaterThan(0);
    expect(r.kinds.rs).toBeGreaterThan(0);
    expect(r.kinds.echo6).toBe(1);
    expect(r.dns[0]).toEqual(['www.example.com.', 0, 0]);
  });

  it('our parsers read scapy-built packets: TCP options, IPv6 extension headers, NDP, compressed DNS, DHCP, ARP', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netstack-'));
    const file = join(dir, 'crafted.pcap');
    python(CRAFT, [file]);
    const frames = readPcap(new Uint8Array(readFileSync(file))).map((f) => wire.parseEthernet(f.frame));
    expect(frames.length).toBe(7);
    const ip = (i: number) => wire.parseIpv4(frames[i]!.payload);
    const v4sum = (i: number, proto: number) => {
      const h = ip(i);
      return wire.pseudoSumV4(h.source, h.destination, proto, h.payload.length);
    };
    const syn = wire.parseTcp(ip(0).payload, v4sum(0, 6));
    expect(syn.options).toEqual({ mss: 1460, sackPermitted: true, timestamps: [12345, 0], windowScale: 7 });
    const ack = wire.parseTcp(ip(1).payload, v4sum(1, 6));
    expect(ack.options.sack).toEqual([
      [2000, 3000],
      [4000, 5000],
    ]);
    expect(new TextDecoder().decode(ack.payload)).toBe('hello');
    const v6 = wire.parseIpv6(frames[2]!.payload);
    expect(v6.protocol).toBe(17);
    const udp6 = wire.parseUdp(v6.payload, wire.pseudoSumV6(v6.source, v6.destination, 17, v6.payload.length), true);
    expect(new TextDecoder().decode(udp6.payload)).toBe('abc');
    const na = wire.parseIpv6(frames[3]!.payload);
    const icmp = wire.parseIcmpv6(na.payload, na.source, na.destination);
    expect(icmp.type).toBe(wire.Icmpv6Type.NeighborAdvertisement);
    expect(Array.from(wire.parseNdpOptions(icmp.body, 16).targetLinkLayer!)).toEqual([2, 0, 0, 0, 0, 1]);
    const dnsUdp = wire.parseUdp(ip(4).payload, v4sum(4, 17));
    const dns = wire.parseDns(dnsUdp.payload);
    expect(dns.answers.map((a) => [a.name, a.value])).toEqual([
      ['www.example.com', '93.184.216.34'],
      ['www.example.com', '93.184.216.35'],
    ]);
    const dhcp = wire.parseDhcp(wire.parseUdp(ip(5).payload, v4sum(5, 17)).payload);
    expect(IpAddress.v4(dhcp.yiaddr).toString()).toBe('10.0.0.100');
    expect(
      wire.dhcpAddresses(dhcp.options.get(wire.DhcpOption.DomainNameServer)).map((n) => IpAddress.v4(n).toString()),
    ).toEqual(['10.0.0.53', '10.0.0.54']);
    const arp = wire.parseArp(frames[6]!.payload);
    expect([arp.operation, IpAddress.v4(arp.senderIp).toString()]).toEqual([2, '10.0.0.1']);
  });
});

#!/usr/bin/python3
"""Hostile traffic at a live osv-ts guest, sent with scapy from inside the test's namespace.

Usage: hostile-segments.py IFACE PEER_IP GUEST_IP PORT [GUEST_IPV6]
Every burst is bounded in count; the whole run ends within about 20 s. The second half
attacks one real connection (opened by Linux) with segments a correct TCP must ignore:
bad checksums, out-of-window data, in-window RSTs that do not match RCV.NXT (RFC 5961 §3),
a SYN in ESTABLISHED (§4) and data with an unacceptable ACK (§5). If the guest accepted any
of them, the request it finally answers would be /evil or the connection would be gone.
With GUEST_IPV6 (the guest's SLAAC address) it also sends IPv6 garbage: bad checksums, long
and unknown extension-header chains, a type 0 routing header, overlapping and lying
fragments, and router advertisements a host must ignore (hop limit below 255, a source that
is not link-local, a zero-length option) advertising fd66::/64, fd67::/64 and fd68::/64.
Prints one JSON object with what it sent and what came back.
"""
import json
import random
import socket
import sys
import time

from scapy.all import IP, TCP, ICMP, UDP, Raw, AsyncSniffer, conf, send

conf.verb = 0
iface, peer, guest, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
conf.iface = iface
rng = random.Random(0x05F)
sent = {}
L3 = conf.L3socket(iface=iface)


def burst(name, packets):
    n = 0
    for p in packets:
        L3.send(p)
        n += 1
    sent[name] = n


def rport():
    return rng.randint(20000, 60000)


def rseq():
    return rng.randint(0, 2**32 - 1)


base = IP(src=peer, dst=guest)

# 1. Stateless garbage at the listening port and beside it.
burst("syn_bad_tcp_checksum", (base / TCP(sport=rport(), dport=port, flags="S", seq=rseq(), chksum=0xDEAD) for _ in range(100)))
burst("syn_bad_ip_checksum", (IP(src=peer, dst=guest, chksum=0xBEEF) / TCP(sport=rport(), dport=port, flags="S", seq=rseq()) for _ in range(100)))
bogus_options = [
    b"\x02\x04\x00",                   # MSS cut short
    b"\x02\x00\x05\xb4",               # option length 0 (would loop forever if trusted)
    b"\x02\xff\x05\xb4",               # option length beyond the header
    b"\x03\x03\xff\x01",               # window scale 255
    b"\x04\x09\x00\x00",               # SACK-permitted with a wrong length
    b"\x05\x03\x00\x00",               # SACK block list of 1 byte
    b"\x08\x0a\x00\x00\x00\x01\x00",   # timestamp cut short
    b"\xfe\x01\x00\x00",               # experimental option, length 1
    bytes([2, 4, 0, 0]),               # MSS 0
]
pkts = []
for opt in bogus_options:
    raw = bytes(TCP(sport=rport(), dport=port, flags="S", seq=rseq()))
    padded = opt + b"\x00" * (-len(opt) % 4)
    hdr = bytearray(raw[:20] + padded)
    hdr[12] = ((len(hdr) // 4) << 4)
    pkts.append(IP(src=peer, dst=guest, proto=6) / Raw(bytes(hdr)))  # TCP checksum left 0: wrong too
    t = TCP(bytes(hdr))
    del t.chksum
    pkts.append(IP(src=peer, dst=guest) / t)  # and with a correct checksum
burst("syn_bogus_options", pkts)
burst("bad_data_offset", [IP(src=peer, dst=guest, proto=6) / Raw(bytes(TCP(sport=rport(), dport=port, flags="S", dataofs=d))[:20]) for d in (0, 1, 4, 15)])
burst("truncated_tcp", [IP(src=peer, dst=guest, proto=6) / Raw(bytes(TCP(sport=rport(), dport=port, flags="S"))[:n]) for n in (0, 1, 7, 13, 19)])
burst("ip_length_lies", [IP(src=peer, dst=guest, len=l) / TCP(sport=rport(), dport=port, flags="S") for l in (0, 19, 21, 39, 1500, 65535)])
burst("tiny_fragments", [IP(src=peer, dst=guest, flags="MF", frag=0, id=0x4242) / Raw(b"\x12\x34\x00\x50"), IP(src=peer, dst=guest, proto=6, frag=0, id=0x4243, flags="MF") / Raw(b"\x00" * 8), IP(src=peer, dst=guest, proto=6, frag=8191, id=0x4244) / Raw(b"\x00" * 16)])
burst("flag_soup", (base / TCP(sport=rport(), dport=port, flags=f, seq=rseq(), ack=rseq()) for f in ("FSRPAUEC", "SF", "SR", "", "F", "U", "PU") for _ in range(10)))
burst("icmp_garbage", [IP(src=peer, dst=guest) / ICMP(type=t, code=c) / Raw(b"\xff" * 8) for t in (3, 5, 11, 12, 200) for c in (0, 4, 255)])
burst("udp_to_closed_and_bad_len", [IP(src=peer, dst=guest) / UDP(sport=rport(), dport=53, len=l) / Raw(b"x" * 20) for l in (0, 7, 8, 500)])

# 2. Bounded floods from the peer's address: the guest's SYN-ACKs reach Linux, which resets
#    them, as it would for a flood from a real host on the link.
burst("syn_flood", (base / TCP(sport=rport(), dport=port, flags="S", seq=rseq(), window=65535, options=[("MSS", 1460)]) for _ in range(1000)))
burst("rst_flood", (base / TCP(sport=rport(), dport=port, flags="R", seq=rseq()) for _ in range(1000)))
burst("ack_flood", (base / TCP(sport=rport(), dport=port, flags="A", seq=rseq(), ack=rseq()) for _ in range(500)))
# 3. A bounded SYN flood from forged addresses on the link nobody answers for: the guest's
#    SYN-ACKs wait on ARP and its listen backlog fills with half-open connections.
burst("spoofed_syn_flood", (IP(src="10.0.0.%d" % rng.randint(150, 250), dst=guest) / TCP(sport=rport(), dport=port, flags="S", seq=rseq()) for _ in range(400)))

# 4. IPv6 garbage, sent as Ethernet frames to the guest's MAC.
if len(sys.argv) > 5:
    from scapy.all import Ether, get_if_hwaddr, getmacbyip6
    from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                                    ICMPv6EchoRequest, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, HBHOptUnknown)
    guest6 = sys.argv[5]
    peer6 = "fd00:a::1"
    my_mac = get_if_hwaddr(iface)
    guest_mac = "52:54:00:12:34:56"
    L2 = conf.L2socket(iface=iface)
    eth = Ether(src=my_mac, dst=guest_mac)
    v6 = lambda **kw: IPv6(src=peer6, dst=guest6, **kw)

    def burst2(name, packets):
        n = 0
        for p in packets:
            L2.send(p)
            n += 1
        sent[name] = n

    burst2("v6_syn_bad_checksum", (eth / v6() / TCP(sport=rport(), dport=port, flags="S", seq=rseq(), chksum=0xDEAD) for _ in range(50)))
    burst2("v6_echo_bad_checksum", [eth / v6() / ICMPv6EchoRequest(id=7, seq=i, cksum=0x1234) for i in range(10)])
    burst2("v6_unknown_hbh_option", [eth / v6() / IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=t, optdata=b"xx")]) / TCP(sport=rport(), dport=port, flags="S") for t in (0x1E, 0x9E, 0xDE)])
    chain = TCP(sport=rport(), dport=port, flags="S")
    for _ in range(60):
        chain = IPv6ExtHdrDestOpt() / chain
    burst2("v6_long_ext_chain", [eth / v6() / chain])
    burst2("v6_routing_type0", [eth / v6() / IPv6ExtHdrRouting(type=0, segleft=1, addresses=["fd00:a::77"]) / TCP(sport=rport(), dport=port, flags="S")])
    frag_payload = bytes(TCP(sport=rport(), dport=port, flags="S")) + b"A" * 64
    burst2("v6_overlapping_fragments", [
        eth / v6() / IPv6ExtHdrFragment(nh=6, id=0xABC, offset=0, m=1) / Raw(frag_payload[:48]),
        eth / v6() / IPv6ExtHdrFragment(nh=6, id=0xABC, offset=2, m=0) / Raw(b"B" * 40),     # overlaps bytes 16..
        eth / v6() / IPv6ExtHdrFragment(nh=6, id=0xABD, offset=8191, m=1) / Raw(b"C" * 64),  # beyond 64 KiB
        eth / v6() / IPv6ExtHdrFragment(nh=6, id=0xABE, offset=0, m=1) / Raw(b"D" * 3),     # not a multiple of 8
    ])
    burst2("v6_length_lies", [eth / IPv6(src=peer6, dst=guest6, plen=l) / TCP(sport=rport(), dport=port, flags="S") for l in (0, 7, 19, 400, 65535)])
    ra = lambda src, hlim, prefix: eth / IPv6(src=src, dst="ff02::1", hlim=hlim) / ICMPv6ND_RA(routerlifetime=1800) / ICMPv6NDOptPrefixInfo(prefix=prefix, prefixlen=64, L=1, A=1, validlifetime=3600, preferredlifetime=3600)
    bad_ras = [ra("fe80::99", 64, "fd66::"), ra("fd00:a::99", 255, "fd67::")]
    zero_len = bytearray(bytes(ra("fe80::99", 255, "fd68::")))
    zero_len[14 + 40 + 16 + 1] = 0  # the prefix option's length byte: a zero-length option voids the RA (RFC 4861 §4.6)
    zero_len[14 + 40 + 2:14 + 40 + 4] = b"\0\0"
    icmp = bytes(zero_len[54:])
    pseudo = bytes(zero_len[22:54]) + len(icmp).to_bytes(4, "big") + b"\0\0\0\x3a"  # so only the option is wrong
    data = pseudo + icmp + (b"\0" if len(icmp) % 2 else b"")
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    zero_len[56:58] = (~total & 0xFFFF).to_bytes(2, "big")
    bad_ras.append(Raw(bytes(zero_len)))
    burst2("v6_bogus_router_adverts", bad_ras)
    L2.close()

def start_capture(sniffer):
    """AsyncSniffer.start() returns before its thread has opened the capture socket, and stop()
    before then raises "Unsupported (offline or unsupported socket)": wait until it captures."""
    sniffer.start()
    while not getattr(sniffer, "stop_cb", None):
        time.sleep(0.01)


# 5. Attacks on one established connection.
# How long the forged half-opens keep a real client out (without eviction: ~63 s).
flood_end = time.monotonic()
watch = AsyncSniffer(iface=iface, store=True, lfilter=lambda p: TCP in p and IP in p and peer in (p[IP].src, p[IP].dst) and port in (p[TCP].sport, p[TCP].dport))
start_capture(watch)
try:
    c = socket.create_connection((guest, port), timeout=20)
except OSError as e:
    seen = watch.stop()
    for p in seen[-40:]:
        print(f"{p.time - flood_end:8.3f} {p[IP].src}:{p[TCP].sport} > {p[IP].dst}:{p[TCP].dport} {p[TCP].flags}", file=sys.stderr)
    import subprocess
    ping = subprocess.run(["ping", "-c", "2", "-W", "1", guest], capture_output=True, text=True)
    print(ping.stdout[-200:], file=sys.stderr)
    print(f"no connection to the guest after the forged SYN flood: {e}", file=sys.stderr)
    sys.exit(1)
watch.stop()
lockout_s = time.monotonic() - flood_end
c.settimeout(5)
lport = c.getsockname()[1]
sniffer = AsyncSniffer(iface=iface, store=True, lfilter=lambda p: TCP in p and IP in p and p[IP].src == peer and p[TCP].sport == lport)
start_capture(sniffer)
time.sleep(0.5)
c.sendall(b"GET ")
time.sleep(0.5)
seen = sniffer.stop()
data = [p for p in seen if len(p[TCP].payload) > 0]
if not data:
    print(json.dumps({"error": "did not see our own first data segment", "seen": len(seen)}))
    sys.exit(1)
last = data[-1]
snd_nxt = (last[TCP].seq + len(last[TCP].payload)) % 2**32
rcv_nxt = last[TCP].ack  # the guest's SND.NXT
conn = IP(src=peer, dst=guest) / TCP(sport=lport, dport=port)


def seg(flags, seq, ack=rcv_nxt, payload=b"", **kw):
    p = IP(src=peer, dst=guest) / TCP(sport=lport, dport=port, flags=flags, seq=seq % 2**32, ack=ack % 2**32, window=65535, **kw)
    return p / Raw(payload) if payload else p


evil = b"/evil HTTP/1.1\r\nHost: evil\r\n\r\n"
attacks = []
attacks += [seg("PA", snd_nxt, payload=evil, chksum=0x0BAD)]                                     # right place, bad checksum
attacks += [seg("PA", snd_nxt + off, payload=evil) for off in (2**30, 2**31 - 7, -(2**20), -(2**31) + 3)]  # out of window
attacks += [seg("PA", snd_nxt, ack=rcv_nxt + 2**30, payload=evil)]                               # ACK of data never sent (§5.2)
attacks += [seg("PA", snd_nxt, ack=rcv_nxt - 2**30, payload=evil)]                               # ACK far in the past
attacks += [seg("R", snd_nxt + d) for d in (1, 100, 1000, 30000)]                                # in window, not exact (§3.2)
attacks += [seg("R", snd_nxt + 2**30), seg("R", snd_nxt - 5000)]                                # out of window
attacks += [seg("S", rseq())]                                                                    # SYN in ESTABLISHED (§4.2)
attacks += [seg("PA", snd_nxt, payload=evil, dataofs=15)]                                        # header longer than the segment
attacks += [seg("A", snd_nxt) for _ in range(50)]                                                # duplicate ACK storm
replies = AsyncSniffer(iface=iface, store=True, lfilter=lambda p: TCP in p and IP in p and p[IP].src == guest and p[TCP].dport == lport)
start_capture(replies)
time.sleep(0.3)
burst("established_attacks", attacks)
time.sleep(0.7)
guest_replies = len(replies.stop())
c.sendall(b"/ HTTP/1.1\r\nHost: osv\r\nConnection: close\r\n\r\n")
response = b""
try:
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        response += chunk
except socket.timeout:
    pass
c.close()
L3.close()
print(json.dumps({"sent": sent, "guestReplies": guest_replies, "lockoutS": round(lockout_s, 2), "response": response.decode("latin-1")}))

#!/usr/bin/python3
"""Hostile traffic at a live osv-ts guest, sent with scapy from inside the test's namespace.

Usage: hostile-segments.py IFACE PEER_IP GUEST_IP PORT
Every burst is bounded in count; the whole run ends within about 20 s. The second half
attacks one real connection (opened by Linux) with segments a correct TCP must ignore:
bad checksums, out-of-window data, in-window RSTs that do not match RCV.NXT (RFC 5961 §3),
a SYN in ESTABLISHED (§4) and data with an unacceptable ACK (§5). If the guest accepted any
of them, the request it finally answers would be /evil or the connection would be gone.
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

# 3. Attacks on one established connection.
time.sleep(0.5)
c = socket.create_connection((guest, port), timeout=5)
lport = c.getsockname()[1]
sniffer = AsyncSniffer(iface=iface, store=True, lfilter=lambda p: TCP in p and IP in p and p[IP].src == peer and p[TCP].sport == lport)
sniffer.start()
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
replies.start()
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
print(json.dumps({"sent": sent, "guestReplies": guest_replies, "response": response.decode("latin-1")}))

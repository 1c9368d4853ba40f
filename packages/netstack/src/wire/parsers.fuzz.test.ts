// Every wire parser, fed 10^4 hostile inputs each (random bytes and mutated valid packets):
// it must return a value or throw FormatError — never another exception, never hang.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FormatError } from '@osv-ts/kernel-api';
import { emitArp, parseArp } from './arp.js';
import { pseudoSumV4, pseudoSumV6 } from './checksum.js';
import { emitDhcp, parseDhcp, DhcpOption } from './dhcpv4.js';
import { dnsQuery, emitDns, parseDns, DnsType } from './dns.js';
import { emitEthernetHeader, parseEthernet } from './ethernet.js';
import { emitIcmpv4, parseIcmpv4 } from './icmpv4.js';
import {
  emitIcmpv6,
  parseIcmpv6,
  parseNdpOptions,
  parseRouterAdvertisement,
  routerAdvertisementBody,
} from './icmpv6.js';
import { IpAddress } from './ip-address.js';
import { emitIpv4Header, parseIpv4 } from './ipv4.js';
import { emitIpv6Header, parseIpv6 } from './ipv6.js';
import { emitTcp, parseTcp, tcpOptionsLength, type TcpSegment } from './tcp-segment.js';
import { emitUdp, parseUdp } from './udp.js';

const RUNS = 10_000;

/** A valid sample mutated by byte flips, truncation or extension. */
function mutated(sample: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      extra: fc.uint8Array({ maxLength: 16 }),
    })
    .map(({ flips, cut, extra }) => {
      const b = new Uint8Array(sample.length + extra.length);
      b.set(sample);
      b.set(extra, sample.length);
      for (const [i, v] of flips) b[i % b.length] = v;
      return cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
    });
}

function hostile(sample: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(fc.uint8Array({ maxLength: 128 }), mutated(sample), mutated(sample));
}

function survives(parse: (b: Uint8Array) => unknown, sample: Uint8Array): void {
  let ok = 0;
  let rejected = 0;
  fc.assert(
    fc.property(hostile(sample), (b) => {
      try {
        parse(b);
        ok++;
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        rejected++;
      }
    }),
    { numRuns: RUNS },
  );
  // The corpus exercises both outcomes (else the fuzzer says nothing).
  expect(ok).toBeGreaterThan(0);
  expect(rejected).toBeGreaterThan(0);
}

const A = IpAddress.parse('10.0.0.1');
const B = IpAddress.parse('10.0.0.2');
const A6 = IpAddress.parse('fe80::1');
const B6 = IpAddress.parse('2001:db8::2');

function tcpSample(): Uint8Array {
  const seg: TcpSegment = {
    sourcePort: 1,
    destinationPort: 2,
    seq: 3,
    ack: 4,
    flags: 0x12,
    window: 5,
    urgent: 0,
    options: { mss: 1460, windowScale: 7, sackPermitted: true, timestamps: [1, 2], sack: [[10, 20]] },
    payload: Uint8Array.of(1, 2, 3),
  };
  const len = 20 + tcpOptionsLength(seg.options) + 3;
  const out = new Uint8Array(len);
  emitTcp(out, 0, seg, pseudoSumV4(A.v4, B.v4, 6, len));
  return out;
}

function ipv4Sample(): Uint8Array {
  const b = new Uint8Array(28);
  emitIpv4Header(b, 0, { source: A.v4, destination: B.v4, protocol: 17, payloadLength: 8 });
  return b;
}

function ipv6Sample(): Uint8Array {
  // Hop-by-hop (PadN) → fragment → UDP.
  const b = new Uint8Array(40 + 8 + 8 + 8);
  emitIpv6Header(b, 0, { source: A6.bytes, destination: B6.bytes, protocol: 0, payloadLength: 24 });
  b[40] = 44;
  b[41] = 0;
  b[42] = 1;
  b[43] = 4;
  b[48] = 17;
  return b;
}

describe('wire parsers under fuzzing (10^4 inputs each)', () => {
  it('ethernet', () => {
    const f = new Uint8Array(20);
    emitEthernetHeader(
      f,
      A.bytes.subarray(0, 4).length ? Uint8Array.of(1, 2, 3, 4, 5, 6) : f,
      Uint8Array.of(6, 5, 4, 3, 2, 1),
      0x0800,
    );
    survives(parseEthernet, f.subarray(0, 20));
  });
  it('arp', () => {
    const b = new Uint8Array(28);
    emitArp(
      { operation: 1, senderMac: new Uint8Array(6), senderIp: A.v4, targetMac: new Uint8Array(6), targetIp: B.v4 },
      b,
    );
    survives(parseArp, b);
  });
  it('ipv4', () => survives((b) => parseIpv4(b), ipv4Sample()));
  it('icmpv4', () => survives((b) => parseIcmpv4(b), emitIcmpv4(8, 0, 0x12340001, Uint8Array.of(1, 2, 3, 4))));
  it('ipv6 with extension headers', () => survives(parseIpv6, ipv6Sample()));
  it('icmpv6', () =>
    survives(
      (b) => parseIcmpv6(b, A6.bytes, B6.bytes),
      emitIcmpv6(128, 0, 1, Uint8Array.of(9, 9), A6.bytes, B6.bytes),
    ));
  it('ndp options / router advertisement', () => {
    const body = routerAdvertisementBody(
      [
        {
          prefixLength: 64,
          onLink: true,
          autonomous: true,
          validLifetimeS: 100,
          preferredLifetimeS: 50,
          prefix: IpAddress.parse('2001:db8::').bytes,
        },
      ],
      Uint8Array.of(2, 0, 0, 0, 0, 1),
      1500,
    );
    survives((b) => parseRouterAdvertisement({ type: 134, code: 0, rest: 0x40000708, body: b }), body);
    survives((b) => parseNdpOptions(b, 0), body.subarray(8));
  });
  it('udp', () => {
    const b = new Uint8Array(12);
    emitUdp(b, 0, 1, 2, Uint8Array.of(1, 2, 3, 4), pseudoSumV4(A.v4, B.v4, 17, 12));
    survives((x) => parseUdp(x, pseudoSumV4(A.v4, B.v4, 17, x.length)), b);
  });
  it('tcp with every option', () => survives((b) => parseTcp(b, undefined), tcpSample()));
  it('dhcp', () => {
    const options = new Map<number, Uint8Array>([
      [DhcpOption.MessageType, Uint8Array.of(2)],
      [DhcpOption.Router, A.bytes],
      [DhcpOption.DomainNameServer, Uint8Array.of(...A.bytes, ...B.bytes)],
    ]);
    const m = emitDhcp({
      op: 2,
      xid: 1,
      secs: 0,
      broadcast: true,
      ciaddr: 0,
      yiaddr: B.v4,
      siaddr: 0,
      giaddr: 0,
      chaddr: new Uint8Array(16),
      options,
    });
    survives(parseDhcp, m.subarray(0, 260));
  });
  it('dns with compression pointers', () => {
    const q = dnsQuery(7, 'www.example.com', DnsType.A);
    // Response whose answer name is a pointer to the question name (offset 12).
    const resp = new Uint8Array(q.length + 16);
    resp.set(q);
    resp[2] = 0x81;
    resp[3] = 0x80;
    resp[7] = 1;
    resp.set([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34], q.length);
    expect(parseDns(resp).answers[0]!.value).toBe('93.184.216.34');
    survives(parseDns, resp);
  });
  it('ip address text', () => {
    let ok = 0;
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 45 }), fc.ipV4(), fc.ipV6()), (t) => {
        try {
          IpAddress.parse(t);
          ok++;
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
        }
      }),
      { numRuns: RUNS },
    );
    expect(ok).toBeGreaterThan(0);
  });
});

describe('DNS names', () => {
  it('rejects a compression loop instead of hanging', () => {
    const b = new Uint8Array(12 + 6);
    b[5] = 1; // one question
    b.set([0xc0, 12, 0, 1, 0, 1], 12); // pointer to itself
    expect(() => parseDns(b)).toThrow(FormatError);
  });
  it('round-trips messages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (labels, id, addrs) => {
          const name = labels.join('.');
          const m = {
            id,
            response: true,
            opcode: 0,
            authoritative: false,
            truncated: false,
            recursionDesired: true,
            recursionAvailable: true,
            rcode: 0,
            questions: [{ name, type: 1, class: 1 }],
            answers: addrs.map(([x, y]) => ({ name, type: 1, class: 1, ttl: 60, data: Uint8Array.of(10, 0, x, y) })),
            authorities: [],
            additionals: [],
          };
          const back = parseDns(emitDns(m));
          expect(back.id).toBe(id);
          expect(back.questions[0]!.name).toBe(name);
          expect(back.answers.map((r) => r.value)).toEqual(addrs.map(([x, y]) => `10.0.${x}.${y}`));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('round trips', () => {
  it('TCP segments keep every field and option', () => {
    fc.assert(
      fc.property(
        fc.record({
          sourcePort: fc.integer({ min: 0, max: 0xffff }),
          destinationPort: fc.integer({ min: 0, max: 0xffff }),
          seq: fc.integer({ min: 0, max: 0xffffffff }),
          ack: fc.integer({ min: 0, max: 0xffffffff }),
          flags: fc.integer({ min: 0, max: 0xff }),
          window: fc.integer({ min: 0, max: 0xffff }),
          urgent: fc.integer({ min: 0, max: 0xffff }),
          options: fc.record(
            {
              mss: fc.integer({ min: 0, max: 0xffff }),
              windowScale: fc.integer({ min: 0, max: 14 }),
              sackPermitted: fc.constant(true),
              timestamps: fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
              sack: fc.array(
                fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
                { minLength: 1, maxLength: 1 },
              ),
            },
            { requiredKeys: [] },
          ),
          payload: fc.uint8Array({ maxLength: 64 }),
        }),
        (seg) => {
          const len = 20 + tcpOptionsLength(seg.options) + seg.payload.length;
          if (len - seg.payload.length > 60) return;
          const out = new Uint8Array(len);
          const pseudo = pseudoSumV6(A6.bytes, B6.bytes, 6, len);
          emitTcp(out, 0, seg, pseudo);
          const back = parseTcp(out, pseudo); // also verifies the checksum
          expect({ ...back, payload: [...back.payload] }).toEqual({ ...seg, payload: [...seg.payload] });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('IPv4 headers keep fragment fields and verify their checksum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0x1fff }),
        (id, mf, fo) => {
          const b = new Uint8Array(20 + 8);
          emitIpv4Header(b, 0, {
            source: A.v4,
            destination: B.v4,
            protocol: 17,
            payloadLength: 8,
            identification: id,
            moreFragments: mf,
            fragmentOffset: fo * 8,
          });
          const p = parseIpv4(b);
          expect([p.identification, p.moreFragments, p.fragmentOffset, p.payload.length]).toEqual([id, mf, fo * 8, 8]);
          b[8]! ^= 1;
          expect(() => parseIpv4(b)).toThrow(FormatError);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('IPv6 walks hop-by-hop and fragment headers to the upper layer', () => {
    const p = parseIpv6(ipv6Sample());
    expect(p.protocol).toBe(17);
    expect(p.fragment).toEqual({ offset: 0, moreFragments: false, identification: 0 });
    expect(p.payload.length).toBe(8);
    const bad = ipv6Sample();
    bad[41] = 9; // hop-by-hop length past the payload
    expect(() => parseIpv6(bad)).toThrow(/extension header length/);
  });

  it('IP addresses format per RFC 5952 and parse back', () => {
    expect(IpAddress.parse('2001:0db8:0:0:1:0:0:1').toString()).toBe('2001:db8::1:0:0:1');
    expect(IpAddress.parse('::ffff:10.1.2.3').toString()).toBe('::ffff:a01:203');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const a = IpAddress.fromBytes(b);
        expect(IpAddress.parse(a.toString()).bytes).toEqual(a.bytes);
      }),
      { numRuns: 2000 },
    );
  });
});

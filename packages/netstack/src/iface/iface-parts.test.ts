import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IpAddress, prefixMatches } from '../wire/ip-address.js';
import { Ipv4Reassembler, REASSEMBLY_MAX_DATAGRAMS, REASSEMBLY_TIMEOUT_NS } from './ipv4-reassembly.js';
import { DELAY_FIRST_PROBE_TIME_NS, NeighborCache, REACHABLE_TIME_NS, RETRANS_TIMER_NS } from './neighbor-cache.js';
import { RouteTable } from './route-table.js';

const key = (id: number) => ({ source: 1, destination: 2, protocol: 17, identification: id });

describe('Ipv4Reassembler', () => {
  it('reassembles fragments delivered in any order', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.nat(),
        (data, unit, seed) => {
          const r = new Ipv4Reassembler();
          const step = unit * 8;
          const frags: Array<[number, Uint8Array, boolean]> = [];
          for (let o = 0; o < data.length; o += step)
            frags.push([o, data.subarray(o, o + step), o + step < data.length]);
          for (let i = frags.length - 1; i > 0; i--) {
            const j = (seed + i * 7919) % (i + 1);
            [frags[i], frags[j]] = [frags[j]!, frags[i]!];
          }
          let out: Uint8Array | undefined;
          for (const [o, d, mf] of frags) out = r.add(key(1), o, mf, d, 0) ?? out;
          expect(out && [...out]).toEqual([...data]);
          expect(r.inProgress).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops a datagram with overlapping fragments, and incomplete ones at the timeout', () => {
    const r = new Ipv4Reassembler();
    expect(r.add(key(1), 0, true, new Uint8Array(16), 0)).toBeUndefined();
    expect(r.add(key(1), 8, false, new Uint8Array(16), 0)).toBeUndefined();
    expect(r.dropped).toBe(1);
    expect(r.add(key(1), 16, false, new Uint8Array(8), 0)).toBeUndefined(); // a fresh, incomplete datagram
    r.add(key(2), 0, true, new Uint8Array(8), 0);
    r.expire(REASSEMBLY_TIMEOUT_NS - 1);
    expect(r.inProgress).toBe(2);
    r.expire(REASSEMBLY_TIMEOUT_NS);
    expect(r.inProgress).toBe(0);
  });

  it('bounds the number of datagrams in progress', () => {
    const r = new Ipv4Reassembler();
    for (let i = 0; i < REASSEMBLY_MAX_DATAGRAMS + 10; i++) r.add(key(i), 0, true, new Uint8Array(8), 0);
    expect(r.inProgress).toBe(REASSEMBLY_MAX_DATAGRAMS);
    expect(r.dropped).toBe(10);
  });
});

describe('NeighborCache (RFC 4861 §7.3 NUD)', () => {
  it('walks INCOMPLETE → REACHABLE → STALE → DELAY → PROBE → gone', () => {
    const n = new NeighborCache();
    const mac = Uint8Array.of(2, 0, 0, 0, 0, 1);
    const frame = new Uint8Array(60);
    expect(n.resolve('fe80::1', frame, 0)).toEqual({ solicit: true });
    expect(n.state('fe80::1')).toBe('INCOMPLETE');
    expect(n.advertisement('fe80::1', mac, true, true, false, 10)).toEqual([frame]);
    expect(n.state('fe80::1')).toBe('REACHABLE');
    n.expire(10 + REACHABLE_TIME_NS);
    expect(n.state('fe80::1')).toBe('STALE');
    expect(n.resolve('fe80::1', frame, 100e9).mac).toEqual(mac);
    expect(n.state('fe80::1')).toBe('DELAY');
    expect(n.expire(100e9 + DELAY_FIRST_PROBE_TIME_NS)).toEqual([{ address: 'fe80::1', solicit: 'unicast' }]);
    expect(n.state('fe80::1')).toBe('PROBE');
    let t = 100e9 + DELAY_FIRST_PROBE_TIME_NS;
    for (let i = 0; i < 3; i++) n.expire((t += RETRANS_TIMER_NS));
    expect(n.state('fe80::1')).toBeUndefined();
  });

  it('gives up after three multicast solicitations', () => {
    const n = new NeighborCache();
    n.resolve('fe80::2', new Uint8Array(1), 0);
    const actions = [1, 2, 3].flatMap((k) => n.expire(k * RETRANS_TIMER_NS));
    expect(actions.length).toBe(2);
    expect(n.state('fe80::2')).toBeUndefined();
    expect(n.dropped).toBe(1);
  });
});

describe('RouteTable', () => {
  it('picks the longest matching prefix (brute-force model)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })), { maxLength: 20 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (routes, dst) => {
          const t = new RouteTable<number>();
          routes.forEach(([p, len], i) =>
            t.add({
              prefix: IpAddress.v4(p),
              prefixLength: len,
              gateway: undefined,
              iface: i,
              metric: 0,
              source: `r${i}`,
            }),
          );
          const d = IpAddress.v4(dst);
          const best = routes
            .map(([p, len], i) => ({ len, i, m: prefixMatches(IpAddress.v4(p).bytes, d.bytes, len) }))
            .filter((x) => x.m)
            .sort((a, b) => b.len - a.len)[0];
          expect(t.lookup(d)?.prefixLength).toBe(best?.len);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('cache bounds under floods', () => {
  it('keeps the ARP and neighbour caches bounded', async () => {
    const { ArpCache, ARP_MAX_ENTRIES } = await import('./arp-cache.js');
    const { NEIGHBOR_MAX_ENTRIES } = await import('./neighbor-cache.js');
    const arp = new ArpCache();
    for (let i = 0; i < 5000; i++) arp.learn(i, new Uint8Array(6), 0, true);
    expect(arp.size).toBe(ARP_MAX_ENTRIES);
    const n = new NeighborCache();
    for (let i = 0; i < 5000; i++) n.learnFromSolicitation(`fe80::${i.toString(16)}`, new Uint8Array(6), 0);
    expect(n.entries.size).toBe(NEIGHBOR_MAX_ENTRIES);
  });
});

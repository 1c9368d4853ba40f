// The stub resolver against a simulated DNS server (UDP and TCP on port 53), plus hosts and
// resolv.conf parsing.
import { describe, expect, it } from 'vitest';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import {
  DnsResolver,
  HostsFile,
  IpAddress,
  parseResolvConf,
  type DnsLookup,
  type NetStack,
  type TcpSocket,
} from '../src/index.js';
import * as wire from '../src/wire/index.js';
import { makePair, type Pair } from './harness.js';

const { DnsType } = wire;

/** Answers A/AAAA from a table; names in `truncate` get TC=1 over UDP and the full answer over TCP. */
class SimDnsServer {
  udpQueries = 0;
  tcpQueries = 0;
  dropFirst = 0;
  constructor(
    stack: NetStack,
    address: IpAddress,
    private readonly zone: Record<string, string[]>,
    private readonly truncate: Set<string>,
  ) {
    const u = stack.udpSocket();
    u.bind({ address, port: 53 });
    const wait = () =>
      u.waitQueue.add({
        wake: () => {
          this.drainUdp(u);
          wait();
        },
      });
    wait();
    const l = stack.tcpSocket();
    l.bind({ address, port: 53 });
    l.listen();
    const waitL = () =>
      l.waitQueue.add({
        wake: () => {
          for (;;) {
            let s: TcpSocket;
            try {
              s = l.accept();
            } catch {
              break;
            }
            this.serveTcp(s);
          }
          waitL();
        },
      });
    waitL();
  }

  private answer(query: Uint8Array, overUdp: boolean): Uint8Array {
    const q = wire.parseDns(query);
    const question = q.questions[0]!;
    const name = question.name.toLowerCase();
    const records = (this.zone[name] ?? [])
      .map((t) => IpAddress.parse(t))
      .filter((a) => (question.type === DnsType.A ? a.version === 4 : a.version === 6));
    const truncated = overUdp && this.truncate.has(name);
    return wire.emitDns({
      id: q.id,
      response: true,
      opcode: 0,
      authoritative: true,
      truncated,
      recursionDesired: q.recursionDesired,
      recursionAvailable: true,
      rcode: name in this.zone ? 0 : wire.DnsRcode.NXDomain,
      questions: q.questions,
      answers: truncated
        ? []
        : records.map((a) => ({ name: question.name, type: question.type, class: 1, ttl: 60, data: a.bytes })),
      authorities: [],
      additionals: [],
    });
  }

  private drainUdp(u: ReturnType<NetStack['udpSocket']>): void {
    const buf = new Uint8Array(1500);
    for (;;) {
      let r;
      try {
        r = u.recvFrom(buf);
      } catch {
        return;
      }
      this.udpQueries++;
      if (this.dropFirst > 0) {
        this.dropFirst--;
        continue;
      }
      u.sendTo(this.answer(buf.subarray(0, r.bytes), true), r.from);
    }
  }

  private serveTcp(s: TcpSocket): void {
    let pending = new Uint8Array(0);
    const onEvent = () => {
      const buf = new Uint8Array(4096);
      for (;;) {
        let n: number;
        try {
          n = s.recv(buf);
        } catch (e) {
          if (e instanceof KernelError && e.errno === Errno.EAGAIN) break;
          return;
        }
        if (n === 0) {
          s.close();
          return;
        }
        const j = new Uint8Array(pending.length + n);
        j.set(pending);
        j.set(buf.subarray(0, n), pending.length);
        pending = j;
      }
      if (pending.length >= 2) {
        const len = (pending[0]! << 8) | pending[1]!;
        if (pending.length >= 2 + len) {
          this.tcpQueries++;
          const reply = this.answer(pending.subarray(2, 2 + len), false);
          const framed = new Uint8Array(2 + reply.length);
          framed[0] = reply.length >> 8;
          framed[1] = reply.length & 255;
          framed.set(reply, 2);
          s.send(framed);
          pending = pending.subarray(2 + len);
        }
      }
      s.waitQueue.add({ wake: onEvent });
    };
    onEvent();
  }
}

const ZONE = {
  'www.test': ['10.1.2.3', '2001:db8::80'],
  'big.test': ['10.9.0.1', '10.9.0.2', '10.9.0.3'],
  'host.corp.test': ['10.7.7.7'],
  'empty.test': [],
};

function run(p: Pair, l: DnsLookup): DnsLookup {
  p.sim.runUntil(() => l.state !== 'pending', 120e9);
  return l;
}

describe('DNS stub resolver', () => {
  function setup(seed = 200) {
    const p = makePair(seed);
    const server = new SimDnsServer(p.a, p.addrA, ZONE, new Set(['big.test']));
    const resolver = new DnsResolver(p.b, { config: { nameservers: [p.addrA] } });
    return { p, server, resolver };
  }

  it('resolves A and AAAA records over UDP', () => {
    const { p, resolver } = setup();
    const a = run(p, resolver.lookup('www.test', 'A'));
    expect([a.state, a.source, a.addresses.map(String)]).toEqual(['done', 'udp', ['10.1.2.3']]);
    const aaaa = run(p, resolver.lookup('www.test', 'AAAA'));
    expect(aaaa.addresses.map(String)).toEqual(['2001:db8::80']);
  });

  it('retries over TCP when the UDP answer is truncated (RFC 7766 §5)', () => {
    const { p, server, resolver } = setup();
    const l = run(p, resolver.lookup('big.test', 'A'));
    expect([l.state, l.source]).toEqual(['done', 'tcp']);
    expect(l.addresses.map(String)).toEqual(['10.9.0.1', '10.9.0.2', '10.9.0.3']);
    expect([server.udpQueries, server.tcpQueries]).toEqual([1, 1]);
  });

  it('reports NXDOMAIN and NODATA distinctly', () => {
    const { p, resolver } = setup();
    expect(run(p, resolver.lookup('missing.test')).failure).toBe('nxdomain');
    expect(run(p, resolver.lookup('empty.test')).failure).toBe('nodata');
  });

  it('retries after a timeout and moves on to the next server', () => {
    const { p, server, resolver } = setup();
    server.dropFirst = 1;
    const t0 = p.clock.monotonicNs();
    const l = run(p, resolver.lookup('www.test'));
    expect(l.state).toBe('done');
    expect(Math.round((p.clock.monotonicNs() - t0) / 1e9)).toBe(5); // resolv.conf default timeout
    const dead = new DnsResolver(p.b, {
      config: { nameservers: [IpAddress.parse('10.0.0.250'), p.addrA], timeoutS: 1, attempts: 2 },
    });
    const l2 = run(p, dead.lookup('www.test'));
    expect(l2.addresses.map(String)).toEqual(['10.1.2.3']);
  });

  it('times out when no server answers', () => {
    const { p, resolver } = setup();
    resolver.config = { ...resolver.config, nameservers: [IpAddress.parse('10.0.0.250')], timeoutS: 1, attempts: 3 };
    const t0 = p.clock.monotonicNs();
    expect(run(p, resolver.lookup('www.test')).failure).toBe('timeout');
    expect(Math.round((p.clock.monotonicNs() - t0) / 1e9)).toBe(3);
  });

  it('answers from the hosts file and literals without a query, and walks the search list', () => {
    const { p, server, resolver } = setup();
    resolver.hosts = HostsFile.parse(
      '# comment\n127.0.0.1 localhost\n10.5.5.5  gateway gw # trailing\n::1 localhost ip6-localhost\n',
    );
    expect(resolver.lookup('GW').addresses.map(String)).toEqual(['10.5.5.5']);
    expect(resolver.lookup('localhost', 'AAAA').addresses.map(String)).toEqual(['::1']);
    expect(resolver.lookup('192.0.2.1').source).toBe('literal');
    expect(server.udpQueries).toBe(0);
    resolver.config = { ...resolver.config, search: ['corp.test'] };
    const l = run(p, resolver.lookup('host'));
    expect(l.addresses.map(String)).toEqual(['10.7.7.7']);
  });

  it('parses resolv.conf', () => {
    const c = parseResolvConf(
      'nameserver 10.0.0.53\nnameserver 2001:db8::53\nnameserver bogus\nsearch a.test b.test\noptions ndots:2 timeout:3 attempts:4 rotate\n',
    );
    expect(c.nameservers.map(String)).toEqual(['10.0.0.53', '2001:db8::53']);
    expect(c.search).toEqual(['a.test', 'b.test']);
    expect([c.ndots, c.timeoutS, c.attempts, c.rotate]).toEqual([2, 3, 4, true]);
  });
});

describe('resolv.conf rotate', () => {
  it('spreads lookups over the servers round-robin', () => {
    const p = makePair(210);
    const second = IpAddress.parse('10.0.0.3');
    p.a.addIpv4Address(p.a.interface('eth0')!, second, 24);
    const s1 = new SimDnsServer(p.a, p.addrA, ZONE, new Set());
    const s2 = new SimDnsServer(p.a, second, ZONE, new Set());
    const r = new DnsResolver(p.b, { config: { nameservers: [p.addrA, second], rotate: true } });
    for (let i = 0; i < 4; i++) run(p, r.lookup('www.test'));
    expect([s1.udpQueries, s2.udpQueries]).toEqual([2, 2]);
  });
});

// A stub resolver (RFC 1034 §5.3.1, RFC 1123 §6.1.3): literal addresses and the hosts file
// first, then recursive queries to the configured servers over UDP with per-server timeouts and
// retries, and a retry over TCP when a reply comes back truncated (RFC 7766 §5). Search
// domains follow resolv.conf's ndots rule. Lookups are state machines driven by the stack:
// `lookup()` returns at once and the DnsLookup completes later (its WaitQueue is woken).
import { Timer, WaitQueue } from '@osv-ts/core-sched';
import { Errno, FormatError, KernelError } from '@osv-ts/kernel-api';
import type { NetStack } from '../net-stack.js';
import type { TcpSocket } from '../socket/tcp-socket.js';
import type { UdpSocket } from '../socket/udp-socket.js';
import { DnsRcode, DnsType, dnsQuery, parseDns, type DnsMessage } from '../wire/dns.js';
import { IpAddress } from '../wire/ip-address.js';
import { HostsFile } from './hosts-file.js';
import { DEFAULT_RESOLVER_CONFIG, type ResolverConfig } from './resolv-conf.js';

export type DnsFailure = 'nxdomain' | 'nodata' | 'timeout' | 'servfail' | 'refused' | 'no-servers';

export class DnsLookup {
  state: 'pending' | 'done' | 'failed' = 'pending';
  addresses: IpAddress[] = [];
  failure: DnsFailure | undefined;
  /** Where the answer came from. */
  source: 'literal' | 'hosts' | 'udp' | 'tcp' | undefined;
  readonly waitQueue = new WaitQueue('dns');
  onDone: ((l: DnsLookup) => void) | undefined;

  constructor(
    readonly name: string,
    readonly type: 'A' | 'AAAA',
  ) {}

  finish(addresses: IpAddress[], source: DnsLookup['source']): void {
    this.state = 'done';
    this.addresses = addresses;
    this.source = source;
    this.waitQueue.wakeAll();
    this.onDone?.(this);
  }

  fail(failure: DnsFailure): void {
    this.state = 'failed';
    this.failure = failure;
    this.waitQueue.wakeAll();
    this.onDone?.(this);
  }
}

const DNS_PORT = 53;

export class DnsResolver {
  config: ResolverConfig;
  hosts: HostsFile;
  /** Queries sent (UDP and TCP), for tests and counters. */
  queriesSent = 0;
  private rotation = 0;

  constructor(
    private readonly stack: NetStack,
    options: { config?: Partial<ResolverConfig>; hosts?: HostsFile } = {},
  ) {
    this.config = { ...DEFAULT_RESOLVER_CONFIG, ...options.config };
    this.hosts = options.hosts ?? new HostsFile();
  }

  lookup(name: string, type: 'A' | 'AAAA' = 'A'): DnsLookup {
    const l = new DnsLookup(name, type);
    const version = type === 'A' ? 4 : 6;
    const literal = IpAddress.tryParse(name);
    if (literal) {
      if (literal.version === version) l.finish([literal], 'literal');
      else l.fail('nodata');
      return l;
    }
    const fromHosts = this.hosts.lookup(name, version);
    if (fromHosts.length > 0) {
      l.finish(fromHosts, 'hosts');
      return l;
    }
    const servers = this.config.nameservers.length > 0 ? this.config.nameservers : this.stack.nameservers;
    if (servers.length === 0) {
      l.fail('no-servers');
      return l;
    }
    // resolv.conf `options rotate`: spread queries over the servers, round-robin per lookup.
    const first = this.config.rotate ? this.rotation++ % servers.length : 0;
    const ordered = [...servers.slice(first), ...servers.slice(0, first)];
    new LookupRun(this, this.stack, l, this.candidates(name), ordered, type === 'A' ? DnsType.A : DnsType.AAAA).start();
    return l;
  }

  /** resolv.conf(5) ndots: names with fewer dots try the search list first. */
  private candidates(name: string): string[] {
    if (name.endsWith('.')) return [name.slice(0, -1)];
    const search = this.config.search.length > 0 ? this.config.search : this.stack.searchDomains;
    const dots = name.split('.').length - 1;
    const withSearch = search.map((d) => `${name}.${d}`);
    return dots >= this.config.ndots ? [name, ...withSearch] : [...withSearch, name];
  }
}

/** One lookup in progress: candidate names × attempts × servers. */
class LookupRun {
  private candidate = 0;
  private attempt = 0;
  private server = 0;
  private udp: UdpSocket | undefined;
  private tcp: TcpSocket | undefined;
  private tcpBuf = new Uint8Array(0);
  private tcpSent = false;
  private id = 0;
  private readonly timer: Timer;
  private lastFailure: DnsFailure = 'timeout';

  constructor(
    private readonly resolver: DnsResolver,
    private readonly stack: NetStack,
    private readonly lookup: DnsLookup,
    private readonly names: string[],
    private readonly servers: IpAddress[],
    private readonly qtype: number,
  ) {
    this.timer = new Timer(Infinity, () => this.onTimeout());
  }

  start(): void {
    this.sendUdp();
  }

  private get serverAddress(): IpAddress {
    return this.servers[this.server % this.servers.length]!;
  }

  private newId(): void {
    const b = new Uint8Array(2);
    this.stack.entropy.fill(b);
    this.id = (b[0]! << 8) | b[1]!;
  }

  private closeSockets(): void {
    // Forget the sockets before closing them: close() wakes their waiters.
    const u = this.udp;
    const t = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    u?.close();
    t?.close();
  }

  private sendUdp(): void {
    this.closeSockets();
    this.newId();
    const server = this.serverAddress;
    const s = this.stack.udpSocket(server.version);
    this.udp = s;
    try {
      s.connect({ address: server, port: DNS_PORT });
      s.sendTo(dnsQuery(this.id, this.names[this.candidate]!, this.qtype));
      this.resolver.queriesSent++;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
    }
    s.waitQueue.add({ wake: () => this.onUdpReadable(s) });
    this.armTimeout();
  }

  private armTimeout(): void {
    this.timer.deadlineNs = this.stack.nowNs + this.resolver.config.timeoutS * 1e9;
    this.stack.timers.arm(this.timer);
  }

  private onUdpReadable(s: UdpSocket): void {
    if (s !== this.udp || s.closed) return;
    const buf = new Uint8Array(65536);
    for (;;) {
      let got: { bytes: number; from: { address: IpAddress; port: number } };
      try {
        got = s.recvFrom(buf);
      } catch (e) {
        if (e instanceof KernelError && e.errno === Errno.EAGAIN) break;
        if (e instanceof KernelError && e.errno === Errno.ECONNREFUSED) {
          this.nextServer('refused');
          return;
        }
        throw e;
      }
      const m = this.parse(buf.subarray(0, got.bytes));
      if (!m) continue;
      if (m.truncated) {
        this.startTcp();
        return;
      }
      this.answer(m, 'udp');
      return;
    }
    s.waitQueue.add({ wake: () => this.onUdpReadable(s) });
  }

  /** RFC 5452 §9.1: accept only replies matching id and question. */
  private parse(bytes: Uint8Array): DnsMessage | undefined {
    try {
      const m = parseDns(bytes);
      const q = m.questions[0];
      if (
        !m.response ||
        m.id !== this.id ||
        !q ||
        q.type !== this.qtype ||
        q.name.toLowerCase() !== this.names[this.candidate]!.toLowerCase()
      )
        return undefined;
      return m;
    } catch (e) {
      if (e instanceof FormatError) return undefined;
      throw e;
    }
  }

  private startTcp(): void {
    const u = this.udp;
    this.udp = undefined;
    u?.close();
    const server = this.serverAddress;
    const t = this.stack.tcpSocket(server.version);
    this.tcp = t;
    this.tcpBuf = new Uint8Array(0);
    this.tcpSent = false;
    try {
      t.connect({ address: server, port: DNS_PORT });
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      if (e.errno !== Errno.EINPROGRESS) {
        this.nextServer('refused');
        return;
      }
    }
    t.waitQueue.add({ wake: () => this.onTcpEvent(t) });
    this.armTimeout();
  }

  private onTcpEvent(t: TcpSocket): void {
    if (t !== this.tcp || t.closed) return;
    const c = t.connection!;
    if (c.error || c.state === 'CLOSED') {
      if (this.tcpBuf.length === 0 || !this.tryTcpAnswer()) this.nextServer('refused');
      return;
    }
    if (!this.tcpSent && c.established) {
      const q = dnsQuery(this.id, this.names[this.candidate]!, this.qtype);
      const framed = new Uint8Array(2 + q.length);
      framed[0] = q.length >>> 8;
      framed[1] = q.length & 0xff;
      framed.set(q, 2);
      t.send(framed);
      this.resolver.queriesSent++;
      this.tcpSent = true;
    }
    const buf = new Uint8Array(65536);
    for (;;) {
      let n: number;
      try {
        n = t.recv(buf);
      } catch (e) {
        if (e instanceof KernelError && e.errno === Errno.EAGAIN) break;
        if (e instanceof KernelError) {
          this.nextServer('refused');
          return;
        }
        throw e;
      }
      if (n === 0) break;
      const joined = new Uint8Array(this.tcpBuf.length + n);
      joined.set(this.tcpBuf);
      joined.set(buf.subarray(0, n), this.tcpBuf.length);
      this.tcpBuf = joined;
    }
    if (this.tryTcpAnswer()) return;
    t.waitQueue.add({ wake: () => this.onTcpEvent(t) });
  }

  private tryTcpAnswer(): boolean {
    const b = this.tcpBuf;
    if (b.length < 2) return false;
    const len = (b[0]! << 8) | b[1]!;
    if (b.length < 2 + len) return false;
    const m = this.parse(b.subarray(2, 2 + len));
    if (!m) {
      this.nextServer('servfail');
      return true;
    }
    this.answer(m, 'tcp');
    return true;
  }

  private answer(m: DnsMessage, via: 'udp' | 'tcp'): void {
    if (m.rcode === DnsRcode.NXDomain) {
      this.nextCandidate('nxdomain');
      return;
    }
    if (m.rcode === DnsRcode.ServFail || m.rcode === DnsRcode.Refused || m.rcode === DnsRcode.NotImp) {
      this.nextServer(m.rcode === DnsRcode.Refused ? 'refused' : 'servfail');
      return;
    }
    const addrs = m.answers.filter((r) => r.type === this.qtype && r.value).map((r) => IpAddress.parse(r.value!));
    if (addrs.length === 0) {
      this.nextCandidate('nodata');
      return;
    }
    this.done();
    this.lookup.finish(addrs, via);
  }

  private nextCandidate(failure: DnsFailure): void {
    this.lastFailure = failure;
    this.candidate++;
    this.attempt = 0;
    this.server = 0;
    if (this.candidate >= this.names.length) {
      this.done();
      this.lookup.fail(failure);
      return;
    }
    this.sendUdp();
  }

  /** Next server; after a full round of servers, the next attempt (resolv.conf `attempts`). */
  private nextServer(failure: DnsFailure): void {
    this.lastFailure = failure;
    this.server++;
    if (this.server >= this.servers.length) {
      this.server = 0;
      this.attempt++;
    }
    if (this.attempt >= this.resolver.config.attempts) {
      this.done();
      this.lookup.fail(this.lastFailure);
      return;
    }
    this.sendUdp();
  }

  private onTimeout(): void {
    this.nextServer('timeout');
  }

  private done(): void {
    if (this.timer.armed) this.stack.timers.cancel(this.timer);
    this.closeSockets();
  }
}

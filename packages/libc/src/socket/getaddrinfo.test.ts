// getaddrinfo(3) as a pure function over a hosts file and a scripted DNS source: RFC 3493 §6.1
// flag semantics and glibc's EAI_* codes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HostsFile, IpAddress } from '@osv-ts/netstack';
import { AddrInfoError, getaddrinfo, type DnsSource, type LookupFailure } from './getaddrinfo.js';
import * as C from './socket-constants.js';

const hosts = HostsFile.parse('10.0.0.5 db.local\n2001:db8::5 db.local\n');

/** A DNS source answering from a table; records every question it was asked. */
function dns(
  table: Record<string, { 4?: string[] | LookupFailure; 6?: string[] | LookupFailure }>,
): DnsSource & { asked: string[] } {
  const asked: string[] = [];
  const source = (name: string, versions: readonly (4 | 6)[]) =>
    versions.map((v) => {
      asked.push(`${name}/${v}`);
      const r = table[name]?.[v] ?? 'nxdomain';
      return Array.isArray(r) ? r.map((a) => IpAddress.parse(a)) : r;
    });
  return Object.assign(source, { asked });
}

const code = (f: () => unknown): number | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof AddrInfoError) return e.code;
    throw e;
  }
  return undefined;
};

describe('getaddrinfo', () => {
  it('answers any numeric IPv4 host and port without asking DNS', () => {
    const source = dns({});
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), (ip, port) => {
        const r = getaddrinfo(ip, String(port), { socktype: C.SOCK_DGRAM }, { hosts, dns: source });
        expect(r).toEqual([
          {
            family: C.AF_INET,
            socktype: C.SOCK_DGRAM,
            protocol: C.IPPROTO_UDP,
            address: { family: C.AF_INET, address: IpAddress.parse(ip).toString(), port },
          },
        ]);
      }),
    );
    expect(source.asked).toEqual([]);
  });

  it('takes /etc/hosts before DNS, both families for AF_UNSPEC, and sets canonname with AI_CANONNAME', () => {
    const source = dns({});
    const r = getaddrinfo('DB.local', 5432, { socktype: C.SOCK_STREAM, flags: C.AI_CANONNAME }, { hosts, dns: source });
    expect(r.map((a) => a.address.address)).toEqual(['10.0.0.5', '2001:db8::5']);
    expect(r[0]!.canonname).toBe('DB.local');
    expect(source.asked).toEqual([]);
  });

  it('asks DNS for A and AAAA together and keeps whichever answered', () => {
    const source = dns({
      'v6.test': { 4: 'nodata', 6: ['2001:db8::1'] },
      'both.test': { 4: ['192.0.2.1'], 6: ['2001:db8::2'] },
    });
    expect(
      getaddrinfo('v6.test', null, { socktype: C.SOCK_STREAM }, { hosts, dns: source }).map((a) => a.address.address),
    ).toEqual(['2001:db8::1']);
    expect(
      getaddrinfo('both.test', null, { socktype: C.SOCK_STREAM }, { hosts, dns: source }).map((a) => a.family),
    ).toEqual([C.AF_INET, C.AF_INET6]);
    expect(source.asked).toEqual(['v6.test/4', 'v6.test/6', 'both.test/4', 'both.test/6']);
  });

  it('AF_INET6 with AI_V4MAPPED maps IPv4 answers when there is no IPv6 one (all of them with AI_ALL)', () => {
    const source = dns({
      'v4.test': { 4: ['192.0.2.9'], 6: 'nodata' },
      'both.test': { 4: ['192.0.2.1'], 6: ['2001:db8::2'] },
    });
    const opts = { family: C.AF_INET6, socktype: C.SOCK_STREAM, flags: C.AI_V4MAPPED };
    expect(getaddrinfo('v4.test', null, opts, { hosts, dns: source }).map((a) => a.address.address)).toEqual([
      '::ffff:192.0.2.9',
    ]);
    expect(getaddrinfo('both.test', null, opts, { hosts, dns: source }).map((a) => a.address.address)).toEqual([
      '2001:db8::2',
    ]);
    expect(
      getaddrinfo('both.test', null, { ...opts, flags: C.AI_V4MAPPED | C.AI_ALL }, { hosts, dns: source }).map(
        (a) => a.address.address,
      ),
    ).toEqual(['2001:db8::2', '::ffff:192.0.2.1']);
    expect(getaddrinfo('127.0.0.1', null, opts, { hosts }).map((a) => a.address.address)).toEqual(['::ffff:127.0.0.1']);
    expect(code(() => getaddrinfo('127.0.0.1', null, { family: C.AF_INET6 }, { hosts }))).toBe(C.EAI_ADDRFAMILY);
  });

  it('maps resolver failures to glibc codes', () => {
    const source = dns({
      'slow.test': { 4: 'timeout', 6: 'timeout' },
      'refused.test': { 4: 'refused', 6: 'refused' },
      'empty.test': { 4: 'nodata', 6: 'nodata' },
    });
    const ask = (name: string) => code(() => getaddrinfo(name, null, {}, { hosts, dns: source }));
    expect(ask('missing.test')).toBe(C.EAI_NONAME);
    expect(ask('empty.test')).toBe(C.EAI_NODATA);
    expect(ask('slow.test')).toBe(C.EAI_AGAIN);
    expect(ask('refused.test')).toBe(C.EAI_FAIL);
    expect(code(() => getaddrinfo('x.test', null, {}, { hosts }))).toBe(C.EAI_FAIL); // no network stack
    expect(code(() => getaddrinfo('x.test', null, { flags: 0x8000 }, { hosts }))).toBe(C.EAI_BADFLAGS);
    expect(code(() => getaddrinfo(null, 'http', { flags: C.AI_CANONNAME }, { hosts }))).toBe(C.EAI_BADFLAGS);
    expect(code(() => getaddrinfo('1.2.3.4', '70000', {}, { hosts }))).toBe(C.EAI_SERVICE);
    expect(code(() => getaddrinfo('1.2.3.4', 'http', { flags: C.AI_NUMERICSERV }, { hosts }))).toBe(C.EAI_NONAME);
    expect(
      code(() => getaddrinfo('1.2.3.4', null, { socktype: C.SOCK_STREAM, protocol: C.IPPROTO_UDP }, { hosts })),
    ).toBe(C.EAI_SOCKTYPE);
    expect(new AddrInfoError(C.EAI_AGAIN).message).toBe('Temporary failure in name resolution');
  });

  it('without a node: loopback, or the wildcard with AI_PASSIVE', () => {
    expect(getaddrinfo(null, '80', { socktype: C.SOCK_STREAM }, { hosts }).map((a) => a.address.address)).toEqual([
      '127.0.0.1',
      '::1',
    ]);
    expect(
      getaddrinfo(undefined, '80', { socktype: C.SOCK_STREAM, flags: C.AI_PASSIVE, family: C.AF_INET6 }, { hosts }).map(
        (a) => a.address.address,
      ),
    ).toEqual(['::']);
  });
});

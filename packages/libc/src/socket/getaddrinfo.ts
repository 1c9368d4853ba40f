// getaddrinfo(3) (POSIX.1-2017 freeaddrinfo/getaddrinfo, RFC 3493 §6.1) with glibc's error codes:
// numeric hosts and services without any lookup, then hosts(5), then "localhost" as loopback
// (RFC 6761 §6.3), then DNS through whatever `dns` source the caller has (the netstack's stub
// resolver). Leaves out: AI_ADDRCONFIG filtering (accepted, ignored), RFC 6724 destination
// ordering (IPv4 answers come before IPv6 ones), /etc/services (a built-in table of IANA ports),
// and nsswitch.conf.
import { IpAddress, type HostsFile } from '@osv-ts/netstack';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_ADDRCONFIG,
  AI_ALL,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_NUMERICSERV,
  AI_PASSIVE,
  AI_V4MAPPED,
  EAI_ADDRFAMILY,
  EAI_AGAIN,
  EAI_BADFLAGS,
  EAI_FAIL,
  EAI_FAMILY,
  EAI_NODATA,
  EAI_NONAME,
  EAI_SERVICE,
  EAI_SOCKTYPE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOCK_DGRAM,
  SOCK_STREAM,
} from './socket-constants.js';

/** A socket address as JS apps pass and get it (struct sockaddr_in / sockaddr_in6). */
export interface SockAddr {
  family: number;
  address: string;
  port: number;
}

export interface AddrInfoHints {
  family?: number;
  socktype?: number;
  protocol?: number;
  flags?: number;
}

export interface AddrInfo {
  family: number;
  socktype: number;
  protocol: number;
  address: SockAddr;
  canonname?: string;
}

/** gai_strerror(3) texts, as glibc words them. */
const MESSAGES: Record<number, string> = {
  [EAI_BADFLAGS]: 'Bad value for ai_flags',
  [EAI_NONAME]: 'Name or service not known',
  [EAI_AGAIN]: 'Temporary failure in name resolution',
  [EAI_FAIL]: 'Non-recoverable failure in name resolution',
  [EAI_NODATA]: 'No address associated with hostname',
  [EAI_FAMILY]: 'ai_family not supported',
  [EAI_SOCKTYPE]: 'ai_socktype not supported',
  [EAI_SERVICE]: 'Servname not supported for ai_socktype',
  [EAI_ADDRFAMILY]: 'Address family for hostname not supported',
};

/** An address as text; v4-mapped IPv6 in the mixed notation of RFC 5952 §5 (::ffff:192.0.2.1). */
export function addressText(a: IpAddress): string {
  return a.isV4Mapped() ? `::ffff:${a.toV4().toString()}` : a.toString();
}

export function gaiStrerror(code: number): string {
  return MESSAGES[code] ?? `Unknown error ${code}`;
}

/** A getaddrinfo failure: `code` is the EAI_* value the C function would return. */
export class AddrInfoError extends Error {
  override readonly name = 'AddrInfoError';
  constructor(
    readonly code: number,
    detail?: string,
  ) {
    super(detail ? `${gaiStrerror(code)} (${detail})` : gaiStrerror(code));
  }
}

/** Why a DNS lookup gave no address (the netstack resolver's DnsFailure, or no resolver). */
export type LookupFailure = 'nxdomain' | 'nodata' | 'timeout' | 'servfail' | 'refused' | 'no-servers' | 'no-network';

/** Looks a name up for each IP version asked (in parallel), blocking until all are answered. */
export type DnsSource = (name: string, versions: readonly (4 | 6)[]) => (IpAddress[] | LookupFailure)[];

/** Well-known ports (IANA service names registry), standing in for /etc/services. */
const SERVICES: Record<string, number> = {
  echo: 7,
  discard: 9,
  daytime: 13,
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  time: 37,
  domain: 53,
  tftp: 69,
  gopher: 70,
  finger: 79,
  http: 80,
  www: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  postgresql: 5432,
  'http-alt': 8080,
};

const KNOWN_FLAGS = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL | AI_ADDRCONFIG | AI_NUMERICSERV;

export function getaddrinfo(
  node: string | null | undefined,
  service: string | number | null | undefined,
  hints: AddrInfoHints,
  sources: { hosts: HostsFile; dns?: DnsSource },
): AddrInfo[] {
  const flags = hints.flags ?? 0;
  const family = hints.family ?? AF_UNSPEC;
  if (flags & ~KNOWN_FLAGS) throw new AddrInfoError(EAI_BADFLAGS);
  if ((node === null || node === undefined) && (service === null || service === undefined))
    throw new AddrInfoError(EAI_NONAME);
  if (flags & AI_CANONNAME && (node === null || node === undefined)) throw new AddrInfoError(EAI_BADFLAGS);
  if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) throw new AddrInfoError(EAI_FAMILY);
  const socktypes = socketTypes(hints.socktype ?? 0, hints.protocol ?? 0);
  const port = servicePort(service, flags);
  const versions: (4 | 6)[] = family === AF_INET ? [4] : family === AF_INET6 ? [6] : [4, 6];

  let addresses: IpAddress[];
  if (node === null || node === undefined) {
    // RFC 3493 §6.1: no node: the wildcard address with AI_PASSIVE, else loopback.
    addresses = versions.map((v) =>
      IpAddress.parse(flags & AI_PASSIVE ? (v === 4 ? '0.0.0.0' : '::') : v === 4 ? '127.0.0.1' : '::1'),
    );
  } else {
    const literal = IpAddress.tryParse(node);
    if (literal) {
      if (family === AF_INET6 && literal.version === 4) {
        if (!(flags & AI_V4MAPPED)) throw new AddrInfoError(EAI_ADDRFAMILY, node);
        addresses = [literal.toV4Mapped()];
      } else if (family === AF_INET && literal.version === 6) {
        throw new AddrInfoError(EAI_ADDRFAMILY, node);
      } else {
        addresses = [literal];
      }
    } else if (flags & AI_NUMERICHOST) {
      throw new AddrInfoError(EAI_NONAME, node);
    } else {
      addresses = resolveName(node, versions, family, flags, sources);
    }
  }
  const out: AddrInfo[] = [];
  for (const a of addresses) {
    for (const socktype of socktypes) {
      out.push({
        family: a.version === 4 ? AF_INET : AF_INET6,
        socktype,
        protocol: socktype === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP,
        address: { family: a.version === 4 ? AF_INET : AF_INET6, address: addressText(a), port },
      });
    }
  }
  if (flags & AI_CANONNAME && out[0] && node) out[0].canonname = node;
  return out;
}

function socketTypes(socktype: number, protocol: number): number[] {
  if (socktype !== 0 && socktype !== SOCK_STREAM && socktype !== SOCK_DGRAM) throw new AddrInfoError(EAI_SOCKTYPE);
  if (protocol !== 0 && protocol !== IPPROTO_TCP && protocol !== IPPROTO_UDP)
    throw new AddrInfoError(EAI_SOCKTYPE, `protocol ${protocol}`);
  const fromProtocol = protocol === IPPROTO_TCP ? SOCK_STREAM : protocol === IPPROTO_UDP ? SOCK_DGRAM : 0;
  if (socktype !== 0 && fromProtocol !== 0 && socktype !== fromProtocol) throw new AddrInfoError(EAI_SOCKTYPE);
  const t = socktype || fromProtocol;
  return t ? [t] : [SOCK_STREAM, SOCK_DGRAM];
}

function servicePort(service: string | number | null | undefined, flags: number): number {
  if (service === null || service === undefined || service === '') return 0;
  const text = String(service);
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 65535) throw new AddrInfoError(EAI_SERVICE, text);
    return n;
  }
  if (flags & AI_NUMERICSERV) throw new AddrInfoError(EAI_NONAME, `service '${text}' is not numeric`);
  const port = SERVICES[text.toLowerCase()];
  if (port === undefined) throw new AddrInfoError(EAI_SERVICE, text);
  return port;
}

function resolveName(
  name: string,
  versions: (4 | 6)[],
  family: number,
  flags: number,
  sources: { hosts: HostsFile; dns?: DnsSource },
): IpAddress[] {
  const fromHosts = versions.flatMap((v) => sources.hosts.lookup(name, v));
  if (fromHosts.length > 0) return fromHosts;
  // AF_INET6 + AI_V4MAPPED: IPv4 answers as v4-mapped when there is no IPv6 one (RFC 3493 §6.1).
  const v4mapped = family === AF_INET6 && (flags & AI_V4MAPPED) !== 0;
  if (v4mapped) {
    const v4 = sources.hosts.lookup(name, 4);
    if (v4.length > 0) return v4.map((a) => a.toV4Mapped());
  }
  const lower = name.toLowerCase().replace(/\.$/, '');
  if (lower === 'localhost' || lower.endsWith('.localhost')) {
    return versions.map((v) => IpAddress.parse(v === 4 ? '127.0.0.1' : '::1'));
  }
  if (!sources.dns) throw new AddrInfoError(EAI_FAIL, 'no network stack: only numeric hosts and /etc/hosts');
  const asked: (4 | 6)[] = v4mapped ? [6, 4] : versions;
  const results = sources.dns(name, asked);
  const found: IpAddress[] = [];
  const failures: LookupFailure[] = [];
  results.forEach((r, i) => {
    if (Array.isArray(r)) found.push(...(asked[i] === 4 && family === AF_INET6 ? r.map((a) => a.toV4Mapped()) : r));
    else failures.push(r);
  });
  if (v4mapped) {
    const v6 = found.filter((a) => !a.isV4Mapped());
    if (v6.length > 0 && !(flags & AI_ALL)) return v6;
  }
  if (found.length > 0) return found;
  if (failures.includes('nxdomain')) throw new AddrInfoError(EAI_NONAME, name);
  if (failures.every((f) => f === 'nodata')) throw new AddrInfoError(EAI_NODATA, name);
  if (failures.includes('refused')) throw new AddrInfoError(EAI_FAIL, name);
  throw new AddrInfoError(EAI_AGAIN, `${name}: ${failures.join(', ')}`);
}

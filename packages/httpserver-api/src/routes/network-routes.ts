// The `network` group (OSv api/network.cc): interfaces with BSD if_data counters, and routes.
// The netstack counts frames and bytes, broadcast/multicast frames, unknown EtherTypes, drops
// and malformed frames per interface; the BSD fields it has no counter for (collisions, the
// virtio driver's kick and wake-up statistics) are 0.
import { NS_PER_US } from '@osv-ts/kernel-api';
import type { NetInterface, NetStack } from '@osv-ts/netstack';
import { notFound, serverError } from '../http/http-error.js';
import { json, type Route, type RouteContext } from '../route.js';

// BSD net/if_types.h and net/if.h.
const IFT_ETHER = 6;
const IFT_LOOP = 24;
const LINK_STATE_UP = 2;
const LINK_STATE_DOWN = 1;

const dotted = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const macText = (mac: Uint8Array): string => Array.from(mac, (x) => x.toString(16).padStart(2, '0')).join(':');

const ZERO_WAKEUPS = { packets_8: 0, packets_16: 0, packets_32: 0, packets_64: 0, packets_128: 0, packets_256: 0 };

export function interfaceJson(iface: NetInterface, nowNs: number): Record<string, unknown> {
  const a = iface.ipv4[0];
  const addr = a?.address.v4 ?? 0;
  const mask = a ? maskOf(a.prefixLength) : 0;
  const up = iface.loopback || iface.device.linkUp;
  const flags = [
    up ? 'UP' : '',
    iface.loopback ? 'LOOPBACK' : 'BROADCAST',
    up ? 'RUNNING' : '',
    iface.loopback ? '' : 'MULTICAST',
  ];
  const c = iface.counters;
  return {
    config: {
      name: iface.name,
      addr: a ? dotted(addr) : '',
      mask: a ? dotted(mask) : '',
      broadcast: a && !iface.loopback ? dotted((addr | ~mask) >>> 0) : '',
      flags: flags.filter((f) => f !== '').join(' '),
      mtu: String(iface.mtu),
      phys_addr: iface.loopback ? '' : macText(iface.mac),
    },
    data: {
      ifi_type: iface.loopback ? IFT_LOOP : IFT_ETHER,
      ifi_physical: 0,
      ifi_addrlen: iface.loopback ? 0 : 6,
      ifi_hdrlen: iface.loopback ? 0 : 14,
      ifi_link_state: up ? LINK_STATE_UP : LINK_STATE_DOWN,
      ifi_spare_char1: 0,
      ifi_spare_char2: 0,
      ifi_datalen: 0,
      ifi_mtu: iface.mtu,
      ifi_metric: 0,
      ifi_baudrate: 0,
      ifi_ipackets: c.rxFrames,
      ifi_ierrors: c.rxMalformed,
      ifi_opackets: c.txFrames,
      ifi_oerrors: c.txDropped,
      ifi_collisions: 0,
      ifi_ibytes: c.rxBytes,
      ifi_obytes: c.txBytes,
      ifi_imcasts: c.rxMulticast,
      ifi_omcasts: c.txMulticast,
      ifi_iqdrops: c.rxDropped,
      ifi_noproto: c.rxNoProto,
      ifi_hwassist: 0,
      ifi_epoch: 0,
      ifi_ibh_wakeups: 0,
      ifi_oworker_kicks: 0,
      ifi_oworker_wakeups: 0,
      ifi_oworker_packets: 0,
      ifi_okicks: 0,
      ifi_oqueue_is_full: 0,
      ifi_iwakeup_stats: ZERO_WAKEUPS,
      ifi_owakeup_stats: ZERO_WAKEUPS,
    },
    time: Math.floor(nowNs / NS_PER_US),
  };
}

function stackOf(ctx: RouteContext): NetStack {
  const s = ctx.guest.stack;
  if (!s) throw serverError('this kernel has no netstack module');
  return s;
}

export const networkRoutes: readonly Route[] = [
  {
    group: 'network',
    method: 'GET',
    path: '/network/ifconfig/',
    nickname: 'listIfconfig',
    summary: 'Get the configuration and counters of all the network interfaces',
    type: 'array',
    items: 'Interface',
    handle: (ctx) => json(stackOf(ctx).interfaces.map((i) => interfaceJson(i, ctx.guest.clock.monotonicNs()))),
  },
  {
    group: 'network',
    method: 'GET',
    path: '/network/ifconfig/{intf}',
    nickname: 'getIfconfig',
    summary: 'Get the configuration and counters of a network interface',
    type: 'Interface',
    params: [{ name: 'intf', paramType: 'path', type: 'string', required: true, description: 'interface name' }],
    handle: (ctx) => {
      const name = ctx.pathParams.get('intf')!;
      const iface = stackOf(ctx).interface(name);
      if (!iface) throw notFound(`Interface ${name} not found`);
      return json(interfaceJson(iface, ctx.guest.clock.monotonicNs()));
    },
  },
  {
    group: 'network',
    method: 'GET',
    path: '/network/route/',
    nickname: 'getRoute',
    summary: 'Get the routing table',
    type: 'array',
    items: 'Route',
    handle: (ctx) =>
      json(
        stackOf(ctx)
          .routes.list()
          .map((r) => ({
            destination: `${r.prefix.toString()}/${r.prefixLength}`,
            gateway: r.gateway?.toString() ?? '',
            flags: r.gateway ? 'UG' : 'U',
            netif: r.iface.name,
            ipv6: r.prefix.version === 6,
          })),
      ),
  },
];

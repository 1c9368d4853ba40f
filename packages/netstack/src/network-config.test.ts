import { describe, expect, it } from 'vitest';
import { FormatError } from '@osv-ts/kernel-api';
import { VirtualClock } from '@osv-ts/core-sched';
import { LoopbackDevice } from './iface/loopback-device.js';
import { NetStack } from './net-stack.js';
import { applyStaticConfig, parseNetworkOptions } from './network-config.js';
import { SeededRandom } from './sim/seeded-random.js';
import { IpAddress } from './wire/ip-address.js';

describe("OSv's static network options", () => {
  it('parses --ip, --defaultgw and --nameserver and applies them', () => {
    const cfg = parseNetworkOptions([
      '--ip=eth0,10.0.0.2,255.255.255.0',
      '--defaultgw=10.0.0.1',
      '--nameserver=10.0.0.53',
      '--nameserver=1.1.1.1',
      '--verbose',
      '/httpd.wasm',
    ]);
    expect(cfg.addresses.map((a) => `${a.iface} ${a.address.toString()}/${a.prefixLength}`)).toEqual([
      'eth0 10.0.0.2/24',
    ]);
    expect(String(cfg.defaultGateway)).toBe('10.0.0.1');
    expect(cfg.nameservers.map(String)).toEqual(['10.0.0.53', '1.1.1.1']);
    const stack = new NetStack({ clock: new VirtualClock(), entropy: new SeededRandom(1) });
    stack.addInterface(new LoopbackDevice('eth0', 1500), { name: 'eth0', ipv6: false });
    applyStaticConfig(stack, cfg);
    expect(stack.interface('eth0')!.ipv4.map((a) => String(a.address))).toEqual(['10.0.0.2']);
    expect(String(stack.routes.lookup(IpAddress.parse('93.184.216.34'))!.gateway)).toBe('10.0.0.1');
    expect(stack.nameservers.map(String)).toEqual(['10.0.0.53', '1.1.1.1']);
  });

  it('rejects malformed options with the option named', () => {
    expect(() => parseNetworkOptions(['--ip=eth0,10.0.0.2'])).toThrow(FormatError);
    expect(() => parseNetworkOptions(['--ip=eth0,10.0.0.2,255.0.255.0'])).toThrow(/non-contiguous/);
    expect(() => parseNetworkOptions(['--defaultgw=gateway'])).toThrow(/--defaultgw/);
  });
});

// The faulty-link transfer over IPv6 (NDP resolution, SLAAC-free static addresses), fewer seeds.
import { describe, expect, it } from 'vitest';
import { Errno } from '@osv-ts/kernel-api';
import { IpAddress, type TcpSocket } from '../src/index.js';
import { equalBytes, makePair, pattern } from './harness.js';
import { seedScenario } from './seed-run.js';

describe('TCP over IPv6 on a faulty link', () => {
  it('moves 256 KiB byte-exact for 40 seeds', () => {
    const data = pattern(256 * 1024, 6);
    for (let seed = 0; seed < 40; seed++) {
      const { impairments, tcp } = seedScenario(10_000 + seed);
      const p = makePair(10_000 + seed, impairments, tcp, true);
      const a6 = IpAddress.parse('2001:db8::a');
      const b6 = IpAddress.parse('2001:db8::b');
      p.a.addIpv6Address(p.a.interface('eth0')!, a6, 64);
      p.b.addIpv6Address(p.b.interface('eth0')!, b6, 64);
      p.sim.runFor(2e9); // DAD
      const l = p.a.tcpSocket(6);
      l.bind({ address: a6, port: 443 });
      l.listen();
      const c = p.b.tcpSocket(6);
      let rc = 0;
      try {
        c.connect({ address: a6, port: 443 });
      } catch (e) {
        rc = (e as { errno: number }).errno;
      }
      expect(rc).toBe(Errno.EINPROGRESS);
      let s: TcpSocket | undefined;
      let sent = 0;
      let got = 0;
      let shut = false;
      const out = new Uint8Array(data.length);
      const buf = new Uint8Array(65536);
      p.sim.runUntil(() => {
        if (!s && l.acceptQueue.length) s = l.accept();
        if (c.connection!.established) {
          for (let n; sent < data.length && (n = c.write(data.subarray(sent))) > 0;) sent += n;
          if (sent === data.length && !shut) {
            c.shutdown('write');
            shut = true;
          }
        }
        if (s) {
          for (let n; (n = s.read(buf)) > 0;) {
            out.set(buf.subarray(0, n), got);
            got += n;
          }
          return s.read(buf) === 0;
        }
        return false;
      }, 1800e9);
      expect(equalBytes(out.subarray(0, got), data)).toBe(true);
      expect(c.connection!.endpoints.remoteAddress.version).toBe(6);
    }
  }, 120_000);
});

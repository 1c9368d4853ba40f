// Two osv-ts network stacks on a simulated lossy Ethernet link, in plain Node:
// an HTTP-ish exchange over TCP, driven deterministically by a virtual clock.
//   node examples/two-stacks.mjs
import { VirtualClock } from '@osv-ts/core-sched';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { IpAddress, NetStack, PERFECT_LINK, SeededRandom, SimulatedLink, Simulation } from '@osv-ts/netstack';

const clock = new VirtualClock();
const link = new SimulatedLink(clock, new SeededRandom(42), { ...PERFECT_LINK, loss: 0.05, delayNs: 5e6 });
const server = new NetStack({ clock, entropy: new SeededRandom(1) });
const client = new NetStack({ clock, entropy: new SeededRandom(2) });
server.addIpv4Address(server.addInterface(link.a, { name: 'eth0' }), IpAddress.parse('10.0.0.1'), 24);
client.addIpv4Address(client.addInterface(link.b, { name: 'eth0' }), IpAddress.parse('10.0.0.2'), 24);
const sim = new Simulation(clock, [server, client], [link]);

const listener = server.tcpSocket();
listener.bind({ address: IpAddress.parse('0.0.0.0'), port: 80 });
listener.listen();

const sock = client.tcpSocket();
try {
  sock.connect({ address: IpAddress.parse('10.0.0.1'), port: 80 });
} catch (e) {
  if (!(e instanceof KernelError) || e.errno !== Errno.EINPROGRESS) throw e;
}

const tryIo = (fn) => {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KernelError && e.errno === Errno.EAGAIN) return undefined;
    throw e;
  }
};

let conn;
let requested = false;
let answered = false;
let reply = '';
const buf = new Uint8Array(4096);
sim.runUntil(() => {
  conn ??= tryIo(() => listener.accept());
  if (!requested && sock.connection.established) {
    sock.send(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
    requested = true;
  }
  if (conn && !answered && tryIo(() => conn.recv(buf))) {
    conn.send(new TextEncoder().encode('HTTP/1.0 200 OK\r\n\r\nhello from 10.0.0.1\n'));
    conn.close();
    answered = true;
  }
  for (let n; (n = tryIo(() => sock.recv(buf)));) reply += new TextDecoder().decode(buf.subarray(0, n));
  return answered && sock.connection.eof;
});
console.log(reply.trim());
console.log(`virtual time ${(clock.monotonicNs() / 1e6).toFixed(1)} ms, frames lost ${link.counters.lost}`);

// The guest's network back-end as run.py chooses it: `-n` alone is user-mode networking
// (passt here, where run.py would use QEMU's bridge helper), `-n --tap NAME` puts eth0 on the
// TAP device NAME (created when missing), and `-n -v` on a TAP device the kernel names.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { NetBackend } from '@osv-ts/drivers-virtio';
import { PasstBackend, TapBackend, parsePortForward, type PortForward } from '@osv-ts/vmm';
import { CliError, UsageError } from '../cli-error.js';
import type { RunOptions } from './run-options.js';

export interface NetPlan {
  readonly kind: 'none' | 'passt' | 'tap';
  readonly forwards: readonly PortForward[];
  readonly tap?: string;
}

export type HostNet = NetBackend & { close(): void; readonly description: string };

/** Checks the networking options before anything starts. */
export function planNetwork(o: RunOptions): NetPlan {
  const tapWanted = o.vhost || o.tap !== undefined;
  if (tapWanted && !o.networking) throw new UsageError(`${o.tap !== undefined ? '--tap' : '-v'} needs -n (networking)`);
  if (o.forwards.length > 0 && !o.networking) throw new UsageError('--forward needs -n (user-mode networking)');
  if (o.forwards.length > 0 && tapWanted)
    throw new UsageError(
      '--forward is for user-mode networking (passt); on a TAP device the guest is reachable at its own address',
    );
  const forwards = o.forwards.map((rule) => {
    try {
      return parsePortForward(rule);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
  if (!o.networking) return { kind: 'none', forwards };
  if (tapWanted) return { kind: 'tap', forwards, tap: o.tap ?? 'tap%d' };
  return { kind: 'passt', forwards };
}

/** Starts the back-end the plan names; `undefined` for no networking. */
export async function startNetwork(plan: NetPlan): Promise<HostNet | undefined> {
  if (plan.kind === 'none') return undefined;
  if (plan.kind === 'tap') {
    let tap: TapBackend;
    try {
      // The NIC runs on a device thread of its own unless device threads are off (as the machine's).
      tap = await TapBackend.start({ ifname: plan.tap!, threaded: process.env['OSV_DEVICE_THREADS'] !== '0' });
    } catch (e) {
      throw new UsageError(`-n --tap ${plan.tap}: ${(e as Error).message}`);
    }
    return Object.assign(tap, { description: `eth0 on TAP ${tap.ifname}${tap.created ? ' (created)' : ''}` });
  }
  // passt binds the forwarded ports itself and goes on without the ones it cannot have: find out
  // first, so a forward that could never work is an error rather than a silent no-op.
  for (const f of plan.forwards) await checkHostPortFree(f);
  let passt: PasstBackend;
  try {
    passt = await PasstBackend.start({ forwards: plan.forwards });
  } catch (e) {
    throw new UsageError(`-n: cannot start passt: ${(e as Error).message}`);
  }
  return Object.assign(passt, { description: 'eth0 through passt' });
}

/**
 * Fails with a one-line CliError when the host port of `f` is taken: it binds the port on every
 * address (the IPv6 wildcard with IPv4 mapped, as passt does) and lets go of it at once.
 */
async function checkHostPortFree(f: PortForward): Promise<void> {
  const refused = (e: NodeJS.ErrnoException): CliError =>
    new CliError(
      `--forward ${f.protocol}:${f.hostPort}:${f.guestPort}: host ${f.protocol.toUpperCase()} port ${f.hostPort} ${
        e.code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${e.code ?? e.message})`
      }`,
    );
  const tryBind = (host: string): Promise<NodeJS.ErrnoException | undefined> =>
    new Promise((resolve) => {
      if (f.protocol === 'tcp') {
        const server = createServer();
        server.once('error', (e: NodeJS.ErrnoException) => resolve(e));
        server.listen({ port: f.hostPort, host, ipv6Only: false, exclusive: true }, () =>
          server.close(() => resolve(undefined)),
        );
      } else {
        const socket = createSocket({ type: host === '::' ? 'udp6' : 'udp4', ipv6Only: false });
        socket.once('error', (e: NodeJS.ErrnoException) => {
          socket.close();
          resolve(e);
        });
        socket.bind({ port: f.hostPort, address: host, exclusive: true }, () => socket.close(() => resolve(undefined)));
      }
    });
  if (f.hostAddress !== undefined) {
    const e = await tryBind(f.hostAddress);
    if (e) throw refused(e);
    return;
  }
  let error = await tryBind('::');
  // A host without IPv6: passt listens on IPv4 alone.
  if (error?.code === 'EAFNOSUPPORT' || error?.code === 'EADDRNOTAVAIL') error = await tryBind('0.0.0.0');
  if (error) throw refused(error);
}

// The guest's network back-end as run.py chooses it: `-n` alone is user-mode networking
// (passt here, where run.py would use QEMU's bridge helper), `-n --tap NAME` puts eth0 on the
// TAP device NAME (created when missing), and `-n -v` on a TAP device the kernel names.
import type { NetBackend } from '@osv-ts/drivers-virtio';
import { PasstBackend, TapBackend, parsePortForward, type PortForward } from '@osv-ts/vmm';
import { UsageError, type RunOptions } from './run-options.js';

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
      tap = await TapBackend.start({ ifname: plan.tap! });
    } catch (e) {
      throw new UsageError(`-n --tap ${plan.tap}: ${(e as Error).message}`);
    }
    return Object.assign(tap, { description: `eth0 on TAP ${tap.ifname}${tap.created ? ' (created)' : ''}` });
  }
  let passt: PasstBackend;
  try {
    passt = await PasstBackend.start({ forwards: plan.forwards });
  } catch (e) {
    throw new UsageError(`-n: cannot start passt: ${(e as Error).message}`);
  }
  return Object.assign(passt, { description: 'eth0 through passt' });
}

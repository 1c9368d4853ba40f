// Network bring-up at boot (OSv loader.cc: start every interface, then --ip/--defaultgw/
// --nameserver or DHCP, and wait for it) and the kernel thread that drives the stack: the stack
// only moves through poll() (docs/architecture.md §3), so a thread sleeps until its next deadline or a kick.
import type { Scheduler, ThreadBody } from '@osv-ts/core-sched';
import { WaitQueue } from '@osv-ts/core-sched';
import type { NetStack, NetstackService } from '@osv-ts/netstack';
import type { LoaderOptions } from '../cmdline/loader-options.js';

/** How long boot waits for DHCP leases before going on without them. */
const DHCP_WAIT_NS = 15_000_000_000;

export interface NetworkRuntime {
  readonly stack: NetStack;
  /** Wakes the poll thread (after the app made the stack do work). */
  kick(): void;
  /** One summary line per configured interface address. */
  describe(): string[];
}

export function startNetwork(
  service: NetstackService,
  sched: Scheduler,
  o: LoaderOptions,
  log: (t: string) => void,
): NetworkRuntime {
  const { stack } = service;
  const args = [
    ...o.ip.map((ip) => `--ip=${ip.ifname},${ip.address},${ip.netmask}`),
    ...(o.defaultGateway ? [`--defaultgw=${o.defaultGateway}`] : []),
    ...(o.nameserver ? [`--nameserver=${o.nameserver}`] : []),
  ];
  const kicks = new WaitQueue('net-poll');
  // The poller's deadline while it sleeps (-Infinity while it runs). A timer armed earlier than
  // that (an ACK restarting the retransmission timer in an interrupt handler) wakes it.
  let sleepingUntil = -Infinity;
  stack.onTimerArmed = (deadlineNs) => {
    if (deadlineNs < sleepingUntil) {
      sleepingUntil = -Infinity;
      kicks.wakeAll();
    }
  };
  sched.spawn(
    function* poller(): ThreadBody {
      for (;;) {
        stack.poll();
        const deadlineNs = stack.nextDeadlineNs() ?? sched.clock.monotonicNs() + 1_000_000_000;
        sleepingUntil = deadlineNs;
        yield { queues: [kicks], deadlineNs };
        sleepingUntil = -Infinity;
      }
    },
    { name: 'netstack-poll' },
  );
  const clients = service.bringUp(args);
  if (clients.length > 0) {
    const bound = (): boolean => clients.every((c) => c.state === 'BOUND');
    if (!sched.block(bound, sched.clock.monotonicNs() + DHCP_WAIT_NS)) {
      log(
        `DHCP: no lease after ${DHCP_WAIT_NS / 1e9} s on ${clients.filter((c) => c.state !== 'BOUND').length} interface(s); going on\n`,
      );
    }
  }
  return {
    stack,
    kick: () => kicks.wakeAll(),
    describe: () =>
      stack.interfaces
        .filter((i) => !i.loopback)
        .flatMap((i) => i.ipv4.map((a) => `${i.name}: ${a.address.toString()}/${a.prefixLength}`)),
  };
}

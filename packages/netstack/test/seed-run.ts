// One seeded 1 MB transfer: link impairments and TCP options are drawn from the seed, so 1000
// seeds cover loss, duplication, reordering, corruption, delay and jitter together, with SACK
// and timestamps on and off and NewReno or CUBIC.
import { SeededRandom, type LinkImpairments, type TcpConfig } from '../src/index.js';
import { equalBytes, makePair, pattern, transfer } from './harness.js';

export const TRANSFER_BYTES = 1 << 20;

export function seedScenario(seed: number): { impairments: Partial<LinkImpairments>; tcp: Partial<TcpConfig> } {
  const r = new SeededRandom(seed * 2654435761);
  return {
    impairments: {
      loss: r.next() * 0.05,
      duplicate: r.next() * 0.02,
      reorder: r.next() * 0.05,
      corrupt: r.next() * 0.02,
      delayNs: 1e6 + r.below(20e6),
      jitterNs: r.below(2e6),
      reorderDelayNs: r.below(10e6),
      bitsPerSecond: r.next() < 0.5 ? 0 : 10e6 + r.below(990e6),
      queueFrames: r.next() < 0.3 ? 64 + r.below(256) : 0,
    },
    tcp: {
      sack: r.next() < 0.75,
      timestamps: r.next() < 0.75,
      windowScaling: r.next() < 0.9,
      congestion: r.next() < 0.5 ? 'cubic' : 'newreno',
      noDelay: r.next() < 0.5,
    },
  };
}

export interface SeedOutcome {
  seed: number;
  ok: boolean;
  virtualMs: number;
  timeouts: number;
  frames: number;
}

const shared = new Map<number, Uint8Array>();

export function runSeed(seed: number): SeedOutcome {
  const { impairments, tcp } = seedScenario(seed);
  const p = makePair(seed, impairments, tcp);
  let data = shared.get(seed & 7);
  if (!data) shared.set(seed & 7, (data = pattern(TRANSFER_BYTES, seed & 7)));
  // 1 MB must arrive within 30 virtual minutes; a stall throws StallError.
  const r = transfer(p, data, 5000, 1800e9);
  return {
    seed,
    ok: equalBytes(r.received, data),
    virtualMs: r.durationNs / 1e6,
    timeouts: r.client.connection!.counters.timeouts,
    frames: p.link.counters.sent,
  };
}

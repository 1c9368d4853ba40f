import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arc } from './arc.js';

describe('Arc (byte-bounded LRU)', () => {
  it('never exceeds its bound and evicts least recently used first, like a model', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 4096 }),
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('set' as const),
              key: fc.integer({ min: 0, max: 20 }),
              size: fc.integer({ min: 1, max: 1024 }),
            }),
            fc.record({ op: fc.constant('get' as const), key: fc.integer({ min: 0, max: 20 }) }),
          ),
          { maxLength: 200 },
        ),
        (bound, ops) => {
          const arc = new Arc(bound);
          const model: { key: string; size: number }[] = []; // least recent first
          for (const o of ops) {
            const key = String(o.key);
            const at = model.findIndex((m) => m.key === key);
            if (o.op === 'get') {
              const got = arc.get(key);
              expect(got !== undefined).toBe(at >= 0);
              if (at >= 0) {
                expect(got!.length).toBe(model[at]!.size);
                model.push(model.splice(at, 1)[0]!);
              }
            } else {
              arc.set(key, new Uint8Array(o.size));
              if (at >= 0) model.splice(at, 1);
              if (o.size <= bound) model.push({ key, size: o.size });
              let total = model.reduce((a, m) => a + m.size, 0);
              while (total > bound) total -= model.shift()!.size;
            }
            expect(arc.sizeBytes).toBe(model.reduce((a, m) => a + m.size, 0));
            expect(arc.sizeBytes).toBeLessThanOrEqual(bound);
          }
        },
      ),
    );
  });
});

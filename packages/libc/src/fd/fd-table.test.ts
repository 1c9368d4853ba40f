import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { FdTable } from './fd-table.js';
import type { OpenFile } from './open-file.js';

function file(id: number, closed: number[]): OpenFile {
  return {
    kind: 'regular-file',
    statusFlags: 0,
    readable: true,
    writable: true,
    read: () => 0,
    write: () => 0,
    stat: () => ({
      dev: 0n,
      ino: BigInt(id),
      kind: 'regular-file',
      nlink: 1n,
      size: 0n,
      atimeNs: 0n,
      mtimeNs: 0n,
      ctimeNs: 0n,
    }),
    close: () => void closed.push(id),
  };
}

type Op =
  | { op: 'open' }
  | { op: 'close'; fd: number }
  | { op: 'dup'; fd: number }
  | { op: 'dup2'; fd: number; to: number }
  | { op: 'renumber'; fd: number; to: number };

describe('FdTable', () => {
  it('matches a model: lowest free fd, shared descriptions, close on last reference', () => {
    const fdArb = fc.integer({ min: 0, max: 8 });
    const ops = fc.array(
      fc.oneof(
        fc.constant<Op>({ op: 'open' }),
        fdArb.map<Op>((fd) => ({ op: 'close', fd })),
        fdArb.map<Op>((fd) => ({ op: 'dup', fd })),
        fc.tuple(fdArb, fdArb).map<Op>(([fd, to]) => ({ op: 'dup2', fd, to })),
        fc.tuple(fdArb, fdArb).map<Op>(([fd, to]) => ({ op: 'renumber', fd, to })),
      ),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(ops, (list) => {
        const closed: number[] = [];
        const table = new FdTable(16);
        const model = new Map<number, number>(); // fd → file id
        let nextId = 0;
        const lowest = (): number => {
          let fd = 0;
          while (model.has(fd)) fd++;
          return fd;
        };
        const refs = (id: number): number => [...model.values()].filter((v) => v === id).length;
        const expectBadf = (f: () => unknown): void => {
          try {
            f();
            expect.unreachable();
          } catch (e) {
            expect((e as KernelError).errno).toBe(Errno.EBADF);
          }
        };
        for (const o of list) {
          if (o.op === 'open') {
            const id = nextId++;
            const fd = table.allocate(file(id, closed));
            expect(fd).toBe(lowest());
            model.set(fd, id);
          } else if (!model.has(o.fd)) {
            if (o.op !== 'dup2' || o.fd !== o.to)
              expectBadf(() =>
                o.op === 'close'
                  ? table.close(o.fd)
                  : o.op === 'dup'
                    ? table.dup(o.fd)
                    : o.op === 'dup2'
                      ? table.dup2(o.fd, o.to)
                      : table.renumber(o.fd, o.to),
              );
          } else if (o.op === 'close') {
            const id = model.get(o.fd)!;
            table.close(o.fd);
            model.delete(o.fd);
            if (refs(id) === 0) expect(closed).toContain(id);
          } else if (o.op === 'dup') {
            const fd = table.dup(o.fd);
            expect(fd).toBe(lowest());
            model.set(fd, model.get(o.fd)!);
          } else if (o.op === 'dup2') {
            const old = model.get(o.to);
            table.dup2(o.fd, o.to);
            model.set(o.to, model.get(o.fd)!);
            if (old !== undefined && refs(old) === 0) expect(closed).toContain(old);
          } else {
            if (!model.has(o.to)) {
              expectBadf(() => table.renumber(o.fd, o.to));
              continue;
            }
            const old = model.get(o.to)!;
            table.renumber(o.fd, o.to);
            if (o.fd !== o.to) {
              model.set(o.to, model.get(o.fd)!);
              model.delete(o.fd);
              if (refs(old) === 0) expect(closed).toContain(old);
            }
          }
          expect(table.descriptors()).toEqual([...model.keys()].sort((a, b) => a - b));
          for (const [fd, id] of model) expect(table.file(fd).stat().ino).toBe(BigInt(id));
          // A description is closed exactly when no descriptor refers to it any more.
          for (let id = 0; id < nextId; id++) expect(closed.includes(id)).toBe(refs(id) === 0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reports EMFILE at the limit', () => {
    const t = new FdTable(2);
    t.allocate(file(0, []));
    t.allocate(file(1, []));
    expect(() => t.allocate(file(2, []))).toThrow(KernelError);
  });

  it('closeAll closes every descriptor even when a close reports an error', () => {
    const closed: number[] = [];
    const t = new FdTable(8);
    t.allocate(file(0, closed));
    const failing = file(1, closed);
    t.allocate({
      ...failing,
      close: () => {
        failing.close();
        throw new KernelError(Errno.EIO, 'a deferred write failed');
      },
    });
    t.allocate(file(2, closed));
    t.closeAll();
    expect(closed).toEqual([0, 1, 2]);
    expect(t.descriptors()).toEqual([]);
  });
});

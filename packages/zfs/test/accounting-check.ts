// DSL space accounting checked against the blocks themselves: every head dataset's
// ds_used/compressed/uncompressed bytes equal the sums over the blocks of its tree (ASIZE of all
// DVAs, PSIZE, and LSIZE for level-0 data), the `$MOS` dir accounts exactly the MOS blocks, and
// every DSL dir's used bytes are the sum of its breakdown, CHILD being its children's total.
import type { BlockDevice } from '@osv-ts/kernel-api';
import { Dsl } from '../src/dsl/dsl.js';
import { blockSpace, type SpaceDelta } from '../src/dsl/space-accounting.js';
import { openPool } from '../src/pool/pool.js';
import { traversePool } from '../src/pool/traverse.js';
import { ZapReader } from '../src/zap/zap-reader.js';

export function accountingProblems(dev: BlockDevice): string[] {
  const pool = openPool([dev]);
  const dsl = new Dsl(pool);
  const sums = new Map<string, SpaceDelta>();
  traversePool(pool, {
    visit: (bp, name) => {
      const s = sums.get(name) ?? { used: 0, compressed: 0, uncompressed: 0 };
      const b = blockSpace(bp);
      sums.set(name, {
        used: s.used + b.used,
        compressed: s.compressed + b.compressed,
        uncompressed: s.uncompressed + b.uncompressed,
      });
    },
  });
  const problems: string[] = [];
  const same = (what: string, a: SpaceDelta, b: SpaceDelta): void => {
    if (a.used !== b.used || a.compressed !== b.compressed || a.uncompressed !== b.uncompressed)
      problems.push(`${what}: recorded ${JSON.stringify(a)}, blocks ${JSON.stringify(b)}`);
  };
  for (const ds of dsl.list()) {
    if (ds.isSnapshot) continue;
    same(
      `dataset ${ds.name}`,
      { used: ds.phys.usedBytes, compressed: ds.phys.compressedBytes, uncompressed: ds.phys.uncompressedBytes },
      sums.get(ds.name) ?? { used: 0, compressed: 0, uncompressed: 0 },
    );
  }
  // User/group-used ZAPs: per id, 512 + dn_used over the accounted znodes (do_userquota_callback).
  for (const ds of dsl.list()) {
    if (ds.isSnapshot) continue;
    const os = dsl.objset(ds);
    if (!os.phys.userUsed || os.phys.userUsed.type === 0) continue;
    const want = [new Map<string, bigint>(), new Map<string, bigint>()];
    for (const obj of os.objects()) {
      const dn = os.dnode(obj);
      if (dn.bonustype !== 17 || (dn.flags & 2) === 0) continue;
      const v = new DataView(dn.bonus.buffer, dn.bonus.byteOffset, dn.bonus.byteLength);
      [128, 136].forEach((off, k) => {
        const id = v.getBigUint64(off, true).toString(16);
        want[k]!.set(id, (want[k]!.get(id) ?? 0n) + 512n + BigInt(dn.used));
      });
    }
    [-1, -2].forEach((obj, k) => {
      const got = new Map(
        ZapReader.open(os, obj)
          .entries()
          .map((e) => [e.name, e.values[0]!]),
      );
      const w = [...want[k]!].sort();
      const g = [...got].sort();
      if (JSON.stringify(w.map(String)) !== JSON.stringify(g.map(String)))
        problems.push(`${ds.name} ${obj === -1 ? 'user' : 'group'}used ${g.join(',')} but znodes give ${w.join(',')}`);
    });
  }
  const root = dsl.rootDirObj();
  const children = (dir: number): Map<string, number> => {
    const z = dsl.dir(dir).childDirZapobj;
    return new Map(
      z === 0
        ? []
        : ZapReader.open(pool.mos, z)
            .entries()
            .map((e) => [e.name, Number(e.values[0])]),
    );
  };
  const mosDir = dsl.dir(children(root).get('$MOS')!);
  same(
    '$MOS dir',
    { used: mosDir.usedBytes, compressed: mosDir.compressedBytes, uncompressed: mosDir.uncompressedBytes },
    sums.get('$MOS')!,
  );
  const walk = (dirObj: number): void => {
    const d = dsl.dir(dirObj);
    const kids = [...children(dirObj).values()];
    const childUsed = kids.reduce((a, k) => a + dsl.dir(k).usedBytes, 0);
    const b = d.usedBreakdown;
    if (b.length === 5) {
      if (b.reduce((x, y) => x + y, 0) !== d.usedBytes)
        problems.push(`dir ${dirObj}: breakdown ${b.join(',')} does not sum to ${d.usedBytes}`);
      if (b[2] !== childUsed) problems.push(`dir ${dirObj}: CHILD ${b[2]} but children use ${childUsed}`);
    }
    for (const k of kids) walk(k);
  };
  walk(root);
  return problems;
}

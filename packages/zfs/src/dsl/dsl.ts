// The dataset layer (dsl_dir.c / dsl_dataset.c read side): the tree of DSL directories under the
// MOS `root_dataset`, each with a head dataset, snapshots and properties.
import { Errno, FormatError, KernelError } from '@osv-ts/kernel-api';
import { decodeDslDataset, decodeDslDir, type DslDatasetPhys, type DslDirPhys } from '../format/dsl.js';
import { ObjectSet } from '../dmu/objset.js';
import type { Pool } from '../pool/pool.js';
import { ZapReader, zapValueString } from '../zap/zap-reader.js';

export interface DatasetInfo {
  /** Full name, `pool/child` or `pool/child@snap`. */
  readonly name: string;
  readonly dirObj: number;
  readonly datasetObj: number;
  readonly isSnapshot: boolean;
  readonly phys: DslDatasetPhys;
}

function wrap<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FormatError) throw new KernelError(Errno.EIO, `${what}: ${e.message}`);
    throw e;
  }
}

export class Dsl {
  constructor(readonly pool: Pool) {}

  dir(obj: number): DslDirPhys {
    const dn = this.pool.mos.object(obj);
    return wrap(`DSL dir ${obj}`, () => decodeDslDir(dn.bonus, dn.littleEndian));
  }

  dataset(obj: number): DslDatasetPhys {
    const dn = this.pool.mos.object(obj);
    return wrap(`DSL dataset ${obj}`, () => decodeDslDataset(dn.bonus, dn.littleEndian));
  }

  rootDirObj(): number {
    const obj = this.pool.directoryEntry('root_dataset');
    if (obj === undefined) throw new KernelError(Errno.EIO, 'MOS has no root_dataset');
    return obj;
  }

  /** Child DSL directories of `dirObj` (names without hidden `$MOS`, `$ORIGIN`, `$FREE`). */
  children(dirObj: number): { name: string; dirObj: number }[] {
    const d = this.dir(dirObj);
    if (d.childDirZapobj === 0) return [];
    return ZapReader.open(this.pool.mos, d.childDirZapobj)
      .entries()
      .filter((e) => !e.name.startsWith('$'))
      .map((e) => ({ name: e.name, dirObj: Number(e.values[0]) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Snapshots of the head dataset of `dirObj`: name → dataset obj, by creation txg. */
  snapshots(dirObj: number): { name: string; datasetObj: number }[] {
    const d = this.dir(dirObj);
    if (d.headDatasetObj === 0) return [];
    const head = this.dataset(d.headDatasetObj);
    if (head.snapnamesZapobj === 0) return [];
    return ZapReader.open(this.pool.mos, head.snapnamesZapobj)
      .entries()
      .map((e) => ({ name: e.name, datasetObj: Number(e.values[0]) }))
      .sort((a, b) => this.dataset(a.datasetObj).creationTxg - this.dataset(b.datasetObj).creationTxg);
  }

  /** Every file system/volume and snapshot, depth first, parents before children. */
  list(): DatasetInfo[] {
    const out: DatasetInfo[] = [];
    const walk = (name: string, dirObj: number): void => {
      const d = this.dir(dirObj);
      if (d.headDatasetObj !== 0) {
        out.push({
          name,
          dirObj,
          datasetObj: d.headDatasetObj,
          isSnapshot: false,
          phys: this.dataset(d.headDatasetObj),
        });
        for (const s of this.snapshots(dirObj)) {
          out.push({
            name: `${name}@${s.name}`,
            dirObj,
            datasetObj: s.datasetObj,
            isSnapshot: true,
            phys: this.dataset(s.datasetObj),
          });
        }
      }
      for (const c of this.children(dirObj)) walk(`${name}/${c.name}`, c.dirObj);
    };
    walk(this.pool.name, this.rootDirObj());
    return out;
  }

  /** Resolves `pool/a/b` or `pool/a@snap`. */
  find(name: string): DatasetInfo {
    const [path, snap] = name.split('@', 2) as [string, string | undefined];
    const parts = path.split('/');
    if (parts[0] !== this.pool.name) throw new KernelError(Errno.ENOENT, `dataset ${name}: pool is ${this.pool.name}`);
    let dirObj = this.rootDirObj();
    for (const p of parts.slice(1)) {
      const c = this.children(dirObj).find((x) => x.name === p);
      if (!c) throw new KernelError(Errno.ENOENT, `dataset ${name} not found`);
      dirObj = c.dirObj;
    }
    const d = this.dir(dirObj);
    if (snap === undefined) {
      return { name, dirObj, datasetObj: d.headDatasetObj, isSnapshot: false, phys: this.dataset(d.headDatasetObj) };
    }
    const s = this.snapshots(dirObj).find((x) => x.name === snap);
    if (!s) throw new KernelError(Errno.ENOENT, `snapshot ${name} not found`);
    return { name, dirObj, datasetObj: s.datasetObj, isSnapshot: true, phys: this.dataset(s.datasetObj) };
  }

  /** The objset of a dataset. */
  objset(info: DatasetInfo): ObjectSet {
    return new ObjectSet(this.pool.reader, info.phys.bp);
  }

  /** Locally set properties of a dataset's directory (numbers or strings). */
  properties(dirObj: number): Map<string, bigint | string> {
    const d = this.dir(dirObj);
    const out = new Map<string, bigint | string>();
    if (d.propsZapobj === 0) return out;
    for (const e of ZapReader.open(this.pool.mos, d.propsZapobj).entries()) {
      out.set(e.name, e.intLen === 1 ? zapValueString(e) : (e.values[0] ?? 0n));
    }
    return out;
  }
}

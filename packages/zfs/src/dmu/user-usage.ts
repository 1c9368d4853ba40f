// User and group space accounting of a ZPL objset (dmu_objset.c do_userquota_callback, ZPL 4):
// each synced znode whose dnode carries USERUSED_ACCOUNTED is charged DNODE_SIZE + dn_used to
// its uid and gid; the old version of the dnode is uncharged. The totals live in the
// user/group-used ZAPs (objects −1/−2), keyed by the id in hex (reference §6.4).
import { viewOf } from '../format/bytes.js';
import { DN_BONUS_OFFSET, DNODE_FLAG_USERUSED_ACCOUNTED, DNODE_SIZE } from '../format/dnode.js';

const DMU_OT_ZNODE = 17;
const ZNODE_UID_OFFSET = 128;
const ZNODE_GID_OFFSET = 136;

export type UsageKind = 'user' | 'group';

export class UserUsage {
  private readonly deltas = { user: new Map<string, number>(), group: new Map<string, number>() };

  /** Charges (+1) or uncharges (−1) one raw 512-byte dnode, if it is an accounted znode. */
  charge(raw: Uint8Array, sign: 1 | -1): void {
    if (raw[0] === 0 || (raw[7]! & DNODE_FLAG_USERUSED_ACCOUNTED) === 0 || raw[4] !== DMU_OT_ZNODE) return;
    const v = viewOf(raw);
    const bonus = DN_BONUS_OFFSET + raw[3]! * 128;
    const used = DNODE_SIZE + Number(v.getBigUint64(24, true));
    for (const [kind, off] of [
      ['user', ZNODE_UID_OFFSET],
      ['group', ZNODE_GID_OFFSET],
    ] as const) {
      const id = v.getBigUint64(bonus + off, true).toString(16);
      const m = this.deltas[kind];
      m.set(id, (m.get(id) ?? 0) + sign * used);
    }
  }

  get changed(): boolean {
    return [...this.deltas.user.values(), ...this.deltas.group.values()].some((x) => x !== 0);
  }

  /** `current` with this txg's deltas applied, or null when they change nothing. */
  apply(kind: UsageKind, current: ReadonlyMap<string, bigint>): Map<string, bigint> | null {
    const out = new Map(current);
    let changed = false;
    for (const [id, delta] of this.deltas[kind]) {
      if (delta === 0) continue;
      // Never below zero: the figures are advisory (`zfs userspace`); a sync must not fail on them.
      const v = (out.get(id) ?? 0n) + BigInt(delta);
      if (v <= 0n) out.delete(id);
      else out.set(id, v);
      changed = true;
    }
    return changed ? out : null;
  }
}

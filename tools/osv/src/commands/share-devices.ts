// The virtio-fs devices of `--share HOSTDIR:/guest[:ro]` (osv run and osv run -i): one
// NodeFsBackend and one VirtioFsDevice per share, named virtiofsN with tag shareN (the guest
// mounts /dev/virtiofsN). Knobs, for measuring and for a guest that must see host changes at
// once: OSV_SHARE_MAX_WRITE_KIB (the largest READ/WRITE the device agrees to in FUSE_INIT,
// default 1024), OSV_SHARE_CACHE_MS (the entry/attr timeouts LOOKUP and GETATTR replies carry,
// default 1000, virtiofsd's cache=auto; 0 is cache=none) and OSV_SHARE_READ_AHEAD_KIB (the
// max_readahead FUSE_INIT agrees to, default 4096; 0: the guest reads nothing ahead).
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { NodeFsBackend, type NodeFsBackendOptions } from '@osv-ts/vmm';
import { VirtioFsDevice } from '@osv-ts/drivers-virtio';
import { UsageError } from '../cli-error.js';
import type { ShareSpec } from './run-options.js';

export interface ShareDevices {
  readonly devices: VirtioFsDevice[];
  close(): void;
}

/** Refuses a share whose host side is not a directory (before anything is started). */
export function checkShare(s: ShareSpec): void {
  if (!statSync(s.hostDir, { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`--share ${s.hostDir}:${s.guestPath}: ${s.hostDir} is not a directory`);
}

/** The back-end options of every share, from the environment's knobs. */
export function shareBackendOptions(env: NodeJS.ProcessEnv = process.env): NodeFsBackendOptions {
  const kib = envNumber(env, 'OSV_SHARE_MAX_WRITE_KIB');
  const cacheMs = envNumber(env, 'OSV_SHARE_CACHE_MS');
  const aheadKib = envNumber(env, 'OSV_SHARE_READ_AHEAD_KIB');
  return {
    ...(kib !== undefined ? { maxWriteBytes: Math.max(4, kib) * 1024 } : {}),
    ...(cacheMs !== undefined ? { cacheTimeoutMs: cacheMs } : {}),
    ...(aheadKib !== undefined ? { readAheadBytes: aheadKib * 1024 } : {}),
  };
}

export function openShares(shares: readonly ShareSpec[], env: NodeJS.ProcessEnv = process.env): ShareDevices {
  const options = shareBackendOptions(env);
  const backends = shares.map((s) => new NodeFsBackend(resolve(s.hostDir), { ...options, readOnly: s.readOnly }));
  return {
    devices: backends.map((b, i) => new VirtioFsDevice(`virtiofs${i}`, `share${i}`, b)),
    close: () => backends.forEach((b) => b.close()),
  };
}

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name}: a whole number, got '${text}'`);
  return n;
}

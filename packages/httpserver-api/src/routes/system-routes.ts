// The `fs` group (OSv api/fs.cc: statvfs of each mount) and the `hardware` group (api/hardware.cc).
import type { Vfs } from '@osv-ts/vfs';
import { notFound, serverError } from '../http/http-error.js';
import { json, type Route } from '../route.js';
import { confinePath } from './file-routes.js';

function dfStat(vfs: Vfs, m: Vfs['mounts'][number]): Record<string, unknown> {
  const s = vfs.statfs(m.path);
  return {
    filesystem: m.source,
    mount: m.path,
    btotal: s.blocks,
    bfree: s.blocksFree,
    ftotal: s.files,
    ffree: s.filesFree,
    blocksize: s.blockSize,
  };
}

export const fsRoutes: readonly Route[] = [
  {
    group: 'fs',
    method: 'GET',
    path: '/fs/df/',
    nickname: 'list_df_stats',
    summary: 'Report file system disk space usage of all mounted file systems',
    type: 'array',
    items: 'DFStat',
    handle: (ctx) => {
      const vfs = ctx.guest.vfs;
      if (!vfs) throw serverError('this kernel has no vfs module');
      return json(vfs.mounts.map((m) => dfStat(vfs, m)));
    },
  },
  {
    group: 'fs',
    method: 'GET',
    path: '/fs/df/{mount}',
    rest: true,
    nickname: 'get_df_stats',
    summary: 'Report file system disk space usage of one mount point',
    type: 'array',
    items: 'DFStat',
    params: [{ name: 'mount', paramType: 'path', type: 'string', required: true, description: 'mount point' }],
    handle: (ctx) => {
      const vfs = ctx.guest.vfs;
      if (!vfs) throw serverError('this kernel has no vfs module');
      const path = confinePath(ctx.pathParams.get('mount') ?? '/');
      const m = vfs.mounts.find((x) => x.path === path);
      if (!m) throw notFound('mount does not exist');
      return json([dfStat(vfs, m)]);
    },
  },
];

export const hardwareRoutes: readonly Route[] = [
  {
    group: 'hardware',
    method: 'GET',
    path: '/hardware/processor/flags',
    nickname: 'processorFeatures',
    summary: 'List all present processor features (a WebAssembly vCPU has none of its own)',
    type: 'string',
    handle: () => json(''),
  },
  {
    group: 'hardware',
    method: 'GET',
    path: '/hardware/processor/count',
    nickname: 'processorCount',
    summary: 'Returns the number of processors',
    type: 'long',
    handle: () => json(1),
  },
  {
    group: 'hardware',
    method: 'GET',
    path: '/hardware/firmware/vendor',
    nickname: 'firmware_vendor',
    summary: 'Returns the firmware vendor',
    type: 'string',
    handle: () => json('osv-ts'),
  },
  {
    group: 'hardware',
    method: 'GET',
    path: '/hardware/hypervisor',
    nickname: 'hypervisor_name',
    summary: 'Returns the name of the hypervisor',
    type: 'string',
    handle: (ctx) => json(ctx.guest.control.target),
  },
];

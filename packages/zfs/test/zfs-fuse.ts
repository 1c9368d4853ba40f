// The zfs-fuse daemon driver lives in @osv-ts/test-support (the CLI's tests use it too).
export { ZfsFuse, run } from '@osv-ts/test-support';

// virtio-fs device layout (virtio 1.2 §5.11): device id 26, the configuration space and the
// queue numbering. Layout only; virtiofs-device.ts and virtiofs-driver.ts hold the behaviour.

/** §5.11.4 struct virtio_fs_config: byte offsets. */
export const FsConfig = {
  tag: 0, // u8[36], UTF-8, NUL-padded when shorter
  numRequestQueues: 36, // le32
  bytes: 40,
} as const;

/** Longest tag (§5.11.4: the tag is not NUL-terminated when it fills the field). */
export const FS_TAG_BYTES = 36;

/**
 * §5.11.2: queue 0 is hiprio (FORGET and INTERRUPT); without VIRTIO_FS_F_NOTIFICATION (not
 * offered here) the request queues follow from index 1.
 */
export const FS_HIPRIO_QUEUE = 0;
export const FS_REQUEST_QUEUE = 1;

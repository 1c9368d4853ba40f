// Swagger 1.2 models of the responses (Swagger 1.2 §5.2.6), with OSv's model and field names
// (httpserver-api reference §2). Written here from those facts; each group lists the models its
// routes return.
type Prop = { type: string; description: string; items?: { type: string } };
export interface Model {
  id: string;
  description: string;
  properties: Record<string, Prop>;
}

const p = (type: string, description: string): Prop => ({ type, description });
const longs = (names: string[], what: string): Record<string, Prop> =>
  Object.fromEntries(names.map((n) => [n, p('long', what)]));

const THREAD: Model = {
  id: 'Thread',
  description: 'Information on one thread',
  properties: {
    id: p('long', '32-bit thread id'),
    cpu: p('long', 'last CPU the thread ran on'),
    cpu_ms: p('long', 'total CPU time used by the thread (ms)'),
    switches: p('long', 'number of times this thread was context-switched in'),
    migrations: p('long', 'number of times this thread was migrated between CPUs'),
    preemptions: p('long', 'number of times this thread was preempted'),
    priority: p('float', 'the thread priority'),
    stack_size: p('long', 'stack size in bytes'),
    status: p('string', 'thread status'),
    name: p('string', 'thread name'),
  },
};

const THREADS: Model = {
  id: 'Threads',
  description: 'List of threads',
  properties: {
    list: { type: 'array', items: { type: 'Thread' }, description: 'list of thread' },
    time_ms: p('long', 'time when thread list was taken (ms since the epoch)'),
  },
};

const FILE_STATUS: Model = {
  id: 'FileStatusProperties',
  description: 'File status',
  properties: {
    accessTime: p('int', 'the access time (seconds)'),
    blockSize: p('int', 'the block size of a file'),
    group: p('string', 'the group owner'),
    length: p('long', 'the number of bytes in a file'),
    modificationTime: p('int', 'the modification time (seconds)'),
    owner: p('string', 'the user who is the owner'),
    pathSuffix: p('string', 'the path suffix (file name)'),
    permission: p('string', 'the permission represented as a octal string'),
    replication: p('int', 'the number of links'),
    symlink: p('string', 'the link target of a symlink'),
    type: p('string', 'FILE, DIRECTORY or SYMLINK'),
  },
};

const DF_STAT: Model = {
  id: 'DFStat',
  description: 'Information on one mounted file system',
  properties: {
    filesystem: p('string', 'the file system source'),
    mount: p('string', 'the mount point'),
    btotal: p('long', 'total blocks'),
    bfree: p('long', 'free blocks'),
    ftotal: p('long', 'total files'),
    ffree: p('long', 'free files'),
    blocksize: p('long', 'block size in bytes'),
  },
};

const CHAR_FIELDS = [
  'ifi_type',
  'ifi_physical',
  'ifi_addrlen',
  'ifi_hdrlen',
  'ifi_link_state',
  'ifi_spare_char1',
  'ifi_spare_char2',
  'ifi_datalen',
];
const LONG_FIELDS = [
  'ifi_mtu',
  'ifi_metric',
  'ifi_baudrate',
  'ifi_ipackets',
  'ifi_ierrors',
  'ifi_opackets',
  'ifi_oerrors',
  'ifi_collisions',
  'ifi_ibytes',
  'ifi_obytes',
  'ifi_imcasts',
  'ifi_omcasts',
  'ifi_iqdrops',
  'ifi_noproto',
  'ifi_hwassist',
  'ifi_epoch',
  'ifi_ibh_wakeups',
  'ifi_oworker_kicks',
  'ifi_oworker_wakeups',
  'ifi_oworker_packets',
  'ifi_okicks',
  'ifi_oqueue_is_full',
];

const WAKEUP_STATS: Model = {
  id: 'Wakeup_stats',
  description: 'Packets handled per wake-up, in buckets',
  properties: longs(
    ['packets_8', 'packets_16', 'packets_32', 'packets_64', 'packets_128', 'packets_256'],
    'wake-ups that handled up to this many packets',
  ),
};

const INTERFACE_DATA: Model = {
  id: 'Interface_data',
  description: "BSD's if_data of an interface",
  properties: {
    ...Object.fromEntries(CHAR_FIELDS.map((n) => [n, p('char', n)])),
    ...longs(LONG_FIELDS, 'counter'),
    ifi_iwakeup_stats: p('Wakeup_stats', 'receive wake-ups'),
    ifi_owakeup_stats: p('Wakeup_stats', 'transmit wake-ups'),
  },
};

const INTERFACE_CONFIG: Model = {
  id: 'Interface_config',
  description: 'Configuration of an interface',
  properties: Object.fromEntries(
    ['name', 'addr', 'mask', 'broadcast', 'flags', 'mtu', 'phys_addr'].map((n) => [n, p('string', n)]),
  ),
};

const INTERFACE: Model = {
  id: 'Interface',
  description: 'An interface: configuration and counters',
  properties: {
    config: p('Interface_config', 'configuration'),
    data: p('Interface_data', 'counters'),
    time: p('long', 'CLOCK_BOOTTIME when the counters were read (microseconds)'),
  },
};

const ROUTE: Model = {
  id: 'Route',
  description: 'One route',
  properties: {
    destination: p('string', 'destination prefix'),
    gateway: p('string', 'next hop, empty for a directly connected prefix'),
    flags: p('string', 'U, UG'),
    netif: p('string', 'interface'),
    ipv6: p('boolean', 'an IPv6 route'),
  },
};

const TRACE_EVENT_INFO: Model = {
  id: 'TraceEventInfo',
  description: 'One tracepoint and its state',
  properties: {
    name: p('string', 'tracepoint name'),
    id: p('string', 'tracepoint id'),
    enabled: p('boolean', 'whether the tracepoint records into the trace buffer'),
    backtrace: p('boolean', 'whether backtraces are requested for its records'),
  },
};

const TRACE_COUNT: Model = {
  id: 'TraceCount',
  description: 'The count of one counted tracepoint',
  properties: { name: p('string', 'tracepoint name'), count: p('long', 'events since counting began') },
};

const TRACE_COUNTS: Model = {
  id: 'TraceCounts',
  description: 'The counted tracepoints',
  properties: {
    list: { type: 'array', items: { type: 'TraceCount' }, description: 'one entry per counted tracepoint' },
    time_ms: p('long', 'when the counts were read (ms since the epoch)'),
  },
};

export const GROUP_MODELS: Record<string, readonly Model[]> = {
  os: [THREADS, THREAD],
  file: [FILE_STATUS],
  fs: [DF_STAT],
  network: [INTERFACE, INTERFACE_CONFIG, INTERFACE_DATA, WAKEUP_STATS, ROUTE],
  trace: [TRACE_EVENT_INFO, TRACE_COUNTS, TRACE_COUNT],
};

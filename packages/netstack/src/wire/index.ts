// wire/: typed views over packet bytes (parse, validate, emit, checksum). No state, no time.
export * from './checksum.js';
export * from './ip-address.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './icmpv4.js';
export * from './ipv6.js';
export * from './icmpv6.js';
export * from './udp.js';
export * from './tcp-segment.js';
export * from './dhcpv4.js';
export * from './dns.js';

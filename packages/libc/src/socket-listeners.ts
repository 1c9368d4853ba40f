// Listening TCP sockets bound before the app starts and installed as its first fds after stdio
// (`--tcplisten 0.0.0.0:80` → fd 3), as wasmtime does for WASI preview1 servers.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { IpAddress, type NetStack } from '@osv-ts/netstack';
import { SocketFile } from './fd/socket-file.js';
import type { Process } from './process.js';
import { maxRights } from './wasi/wasi-rights.js';

/** Parses `ADDR:PORT` or `[v6]:PORT`. */
export function parseListenAddress(spec: string): { address: IpAddress; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(spec);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new KernelError(Errno.EINVAL, `--tcplisten: expected ADDR:PORT, got '${spec}'`);
  return { address: IpAddress.parse(m[1] ?? m[2]!), port };
}

export function installListeners(net: NetStack, process: Process, specs: readonly string[], backlog = 128): number[] {
  return specs.map((spec, i) => {
    const { address, port } = parseListenAddress(spec);
    const s = net.tcpSocket(address.version);
    s.reuseAddress = true;
    s.bind({ address, port });
    s.listen(backlog);
    const max = maxRights('socket-stream');
    const file = new SocketFile(s, process.sched, 0x1_0000_0000n + BigInt(i), () => net.poll());
    return process.fds.allocate(file, { rightsBase: max.base, rightsInheriting: max.base });
  });
}

// A TCP echo server (RFC 862) for osv-ts: a JS-module app serving many clients from one thread
// with non-blocking sockets and poll(), the way a C server on Linux would.
//   osv run -n --forward tcp:7007:7 examples/echo-server/echo-server.mjs [PORT] [CONNECTIONS]
// Listens on PORT (default 7) and exits with status 0 after CONNECTIONS clients (default: never).
export default function main(argv, env, libc) {
  const c = libc.constants;
  const port = Number(argv[1] ?? 7);
  const limit = argv[2] === undefined ? Infinity : Number(argv[2]);
  const [ai] = libc.getaddrinfo(null, port, { flags: c.AI_PASSIVE, family: c.AF_INET, socktype: c.SOCK_STREAM });
  const listener = libc.socket(ai.family, ai.socktype | c.SOCK_NONBLOCK | c.SOCK_CLOEXEC);
  libc.setsockopt(listener, c.SOL_SOCKET, c.SO_REUSEADDR, 1);
  libc.bind(listener, ai.address);
  libc.listen(listener, 64);
  const local = libc.getsockname(listener);
  console.error(`echo-server: listening on ${local.address}:${local.port}`);

  /** fd → bytes received and not yet echoed back. */
  const clients = new Map();
  const buf = new Uint8Array(65536);
  let served = 0;
  while (served < limit) {
    const fds = [{ fd: listener, events: c.POLLIN }];
    for (const [fd, pending] of clients) fds.push({ fd, events: pending.length > 0 ? c.POLLOUT : c.POLLIN });
    libc.poll(fds, -1);
    for (const p of fds) {
      if (!p.revents) continue;
      if (p.fd === listener) {
        for (;;) {
          let fd;
          try {
            fd = libc.accept4(listener, c.SOCK_NONBLOCK | c.SOCK_CLOEXEC);
          } catch (e) {
            if (e.errno === c.EAGAIN) break;
            throw e;
          }
          const peer = libc.getpeername(fd);
          console.error(`echo-server: connection from ${peer.address}:${peer.port}`);
          clients.set(fd, new Uint8Array(0));
        }
        continue;
      }
      let pending = clients.get(p.fd);
      let closed = (p.revents & (c.POLLERR | c.POLLNVAL)) !== 0;
      try {
        if (!closed && pending.length > 0) {
          pending = pending.subarray(libc.send(p.fd, pending, c.MSG_DONTWAIT));
        } else if (!closed) {
          const n = libc.recv(p.fd, buf, c.MSG_DONTWAIT);
          if (n === 0) closed = true;
          else pending = buf.slice(0, n);
        }
      } catch (e) {
        if (e.errno !== c.EAGAIN) closed = true;
      }
      if (closed) {
        libc.close(p.fd);
        clients.delete(p.fd);
        served++;
      } else {
        clients.set(p.fd, pending);
      }
    }
  }
  libc.close(listener);
  console.error(`echo-server: served ${served} connection(s)`);
  return 0;
}

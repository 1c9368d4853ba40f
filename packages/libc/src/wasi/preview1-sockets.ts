// The socket calls of wasi_snapshot_preview1 (sock_accept, sock_recv, sock_send,
// sock_shutdown) over the network stack. WASI preview1 cannot create sockets: an app gets
// listening sockets handed over as preopened fds (wasmtime's --tcplisten), and accepts from them.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { TcpSocket } from '@osv-ts/netstack';
import { SocketFile } from '../fd/socket-file.js';
import type { Preview1Extension, WasiPreview1 } from './preview1.js';
import { Rights } from './preview1-types.js';
import { WasiErrno } from './wasi-errno.js';
import { NotCapableError, maxRights } from './wasi-rights.js';

const RIFLAGS_RECV_PEEK = 1;
const RIFLAGS_RECV_WAITALL = 2;
const ROFLAGS_RECV_DATA_TRUNCATED = 1;
const SDFLAGS_RD = 1;
const SDFLAGS_WR = 2;
const FDFLAGS_NONBLOCK = 4;

/** The socket behind `fd`, which must hold `right` (witx: sock_recv needs FD_READ, sock_send
 *  FD_WRITE, sock_shutdown SOCK_SHUTDOWN, sock_accept SOCK_ACCEPT). */
function socketOf(w: WasiPreview1, fd: number, right: number): SocketFile {
  const entry = w.process.fds.get(fd);
  const file = entry.description.file;
  if (!(file instanceof SocketFile)) throw new KernelError(Errno.ENOTSOCK, `fd ${fd}`);
  if ((entry.rightsBase & right) === 0) throw new NotCapableError(`fd ${fd} lacks the right`);
  return file;
}

let nextInode = 1n << 32n;

export function wasiSocketsExtension(): Preview1Extension {
  return {
    sock_accept(this: WasiPreview1, fd: number, flags: number, fdPtr: number): number {
      const listener = socketOf(this, fd, Rights.SOCK_ACCEPT);
      if (!(listener.socket instanceof TcpSocket)) return WasiErrno.NOTSUP;
      const l = listener.socket;
      const conn = listener.blocking(() => l.accept());
      const file = new SocketFile(conn, this.process.sched, nextInode++, listener.pump);
      if (flags & FDFLAGS_NONBLOCK) file.statusFlags |= 0o4000;
      const max = maxRights('socket-stream');
      this.memory.setU32(fdPtr, this.process.fds.allocate(file, { rightsBase: max.base, rightsInheriting: 0 }));
      return WasiErrno.SUCCESS;
    },

    sock_recv(
      this: WasiPreview1,
      fd: number,
      iovsPtr: number,
      iovsLen: number,
      riFlags: number,
      lenPtr: number,
      flagsPtr: number,
    ): number {
      const s = socketOf(this, fd, Rights.FD_READ);
      if (riFlags & ~(RIFLAGS_RECV_PEEK | RIFLAGS_RECV_WAITALL)) return WasiErrno.INVAL;
      if (riFlags & RIFLAGS_RECV_PEEK) return WasiErrno.NOTSUP;
      const iovs = this.memory.iovecs(iovsPtr, iovsLen);
      let n = 0;
      if (riFlags & RIFLAGS_RECV_WAITALL) {
        const want = iovs.reduce((a, b) => a + b.length, 0);
        while (n < want) {
          const k = s.read(sliceIovs(iovs, n));
          if (k === 0) break;
          n += k;
        }
      } else {
        n = s.read(iovs);
      }
      this.memory.setU32(lenPtr, n);
      this.memory.setU16(flagsPtr, 0 & ROFLAGS_RECV_DATA_TRUNCATED);
      return WasiErrno.SUCCESS;
    },

    sock_send(
      this: WasiPreview1,
      fd: number,
      iovsPtr: number,
      iovsLen: number,
      _siFlags: number,
      lenPtr: number,
    ): number {
      const s = socketOf(this, fd, Rights.FD_WRITE);
      this.memory.setU32(lenPtr, s.write(this.memory.iovecs(iovsPtr, iovsLen)));
      return WasiErrno.SUCCESS;
    },

    sock_shutdown(this: WasiPreview1, fd: number, how: number): number {
      const s = socketOf(this, fd, Rights.SOCK_SHUTDOWN);
      if (!(s.socket instanceof TcpSocket)) return WasiErrno.NOTSUP;
      if (how < 1 || how > 3) return WasiErrno.INVAL;
      s.socket.shutdown(how === (SDFLAGS_RD | SDFLAGS_WR) ? 'both' : how === SDFLAGS_RD ? 'read' : 'write');
      return WasiErrno.SUCCESS;
    },
  };
}

/** The iovecs with the first `skip` bytes removed. */
function sliceIovs(iovs: readonly Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of iovs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(b.subarray(skip));
    skip = 0;
  }
  return out;
}

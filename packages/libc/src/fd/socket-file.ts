// A network socket (netstack TcpSocket or UdpSocket) as an open file: read/write are recv/send,
// blocking unless O_NONBLOCK by waiting on the socket's wait queue, and poll readiness comes
// from the socket's PollEvents.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import type { Scheduler } from '@osv-ts/core-sched';
import { PollEvents, TcpSocket, type Socket, type UdpSocket } from '@osv-ts/netstack';
import type { FileKind, FileStat, OpenFile } from './open-file.js';

const O_NONBLOCK = 0o4000;

export class SocketFile implements OpenFile {
  readonly kind: FileKind;
  statusFlags = 0;
  readonly readable = true;
  readonly writable = true;

  constructor(
    readonly socket: TcpSocket | UdpSocket,
    private readonly sched: Scheduler,
    private readonly inode: bigint,
    /** Runs the stack's pending work (loopback frames, timers) before the app waits. */
    readonly pump: () => void = () => {},
  ) {
    this.kind = socket instanceof TcpSocket ? 'socket-stream' : 'socket-dgram';
  }

  get readiness() {
    return (this.socket as Socket).waitQueue;
  }

  /** Runs `op` until it stops answering EAGAIN, waiting for readiness in between (unless non-blocking). */
  blocking<T>(op: () => T): T {
    for (;;) {
      try {
        return op();
      } catch (e) {
        if (!(e instanceof KernelError) || e.errno !== Errno.EAGAIN || this.statusFlags & O_NONBLOCK) throw e;
      }
      const before = this.socket.readiness();
      this.pump();
      if (this.socket.readiness() !== before) continue;
      this.sched.run(
        this.sched.waitUntil(this.readiness, () => this.socket.readiness() !== before || this.socket.closed),
      );
    }
  }

  read(into: readonly Uint8Array[]): number {
    const first = into.find((b) => b.length > 0);
    if (!first) return 0;
    if (this.socket instanceof TcpSocket) {
      const s = this.socket;
      return this.blocking(() => s.recv(first));
    }
    const u = this.socket;
    return this.blocking(() => u.recvFrom(first).bytes);
  }

  write(from: readonly Uint8Array[]): number {
    let total = 0;
    for (const b of from) {
      if (b.length === 0) continue;
      if (this.socket instanceof TcpSocket) {
        const s = this.socket;
        let off = 0;
        while (off < b.length) {
          off += this.blocking(() => s.send(b.subarray(off)));
          this.pump();
          if (this.statusFlags & O_NONBLOCK) break;
        }
        total += off;
        if (off < b.length) break;
      } else {
        const u = this.socket;
        total += this.blocking(() => u.sendTo(b));
      }
    }
    return total;
  }

  stat(): FileStat {
    return {
      dev: 0n,
      ino: this.inode,
      kind: this.kind,
      nlink: 1n,
      size: 0n,
      atimeNs: 0n,
      mtimeNs: 0n,
      ctimeNs: 0n,
      mode: 0o140777,
    };
  }

  close(): void {
    this.socket.close();
  }

  pollReadable(): boolean {
    return (this.socket.readiness() & (PollEvents.IN | PollEvents.HUP | PollEvents.ERR)) !== 0;
  }

  pollWritable(): boolean {
    return (this.socket.readiness() & (PollEvents.OUT | PollEvents.ERR | PollEvents.HUP)) !== 0;
  }
}

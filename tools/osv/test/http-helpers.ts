// Test helpers for guests that serve HTTP through a forwarded port.
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** fetch(url), retried every 200 ms until it connects or the deadline (epoch ms) passes. */
export async function fetchRetrying(url: string, deadlineMs: number): Promise<Response> {
  for (;;) {
    try {
      return await fetch(url);
    } catch (e) {
      if (Date.now() > deadlineMs) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

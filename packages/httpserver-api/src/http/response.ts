// HTTP/1.1 responses on the wire (RFC 9112 §4, §6): status line, header fields, a body framed by
// Content-Length. The server never sends chunked bodies: every body is whole before it is sent.
const encoder = new TextEncoder();

/** Reason phrases of the statuses this server sends (RFC 9110 §15; RFC 6585 for 431). */
const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
  /** Further header fields, e.g. Access-Control-Allow-Origin. */
  readonly headers?: readonly (readonly [string, string])[];
}

export function jsonResponse(status: number, value: unknown): HttpResponse {
  return { status, contentType: 'application/json', body: encoder.encode(JSON.stringify(value)) };
}

export function encodeResponse(r: HttpResponse, keepAlive: boolean, headOnly = false): Uint8Array {
  let head = `HTTP/1.1 ${r.status} ${REASONS[r.status] ?? 'Unknown'}\r\n`;
  head += `Content-Type: ${r.contentType}\r\nContent-Length: ${r.body.length}\r\n`;
  for (const [name, value] of r.headers ?? []) head += `${name}: ${value}\r\n`;
  head += keepAlive ? '\r\n' : 'Connection: close\r\n\r\n';
  const h = encoder.encode(head);
  if (headOnly) return h;
  const out = new Uint8Array(h.length + r.body.length);
  out.set(h);
  out.set(r.body, h.length);
  return out;
}

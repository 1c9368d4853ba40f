// An incremental HTTP/1.1 request parser (RFC 9112): request line, header fields, and a body
// framed by Content-Length. Bytes arrive in any chunking; next() yields each complete request,
// in order, for keep-alive connections (RFC 9112 §9.3). Left out: chunked transfer coding and
// every other Transfer-Encoding (refused with 501, RFC 9112 §6.1), obs-fold (refused, §5.2),
// absolute-form targets, trailers. Everything it refuses is an HttpParseError naming the offset.
import { HttpParseError } from './http-error.js';

export interface HttpRequestLimits {
  /** Request line plus header fields; beyond this, 431 (RFC 6585 §5). */
  readonly maxHeaderBytes: number;
  /** Content-Length beyond this is refused with 413 (RFC 9110 §15.5.14). */
  readonly maxBodyBytes: number;
}

export const DEFAULT_LIMITS: HttpRequestLimits = { maxHeaderBytes: 8192, maxBodyBytes: 1024 * 1024 };

export interface HttpRequest {
  readonly method: string;
  /** The request target as sent (origin-form: path and query). */
  readonly target: string;
  /** The path, percent-decoded. */
  readonly path: string;
  /** Query parameters, percent-decoded (`+` is a space, as in HTML forms); the first of a name wins. */
  readonly query: Map<string, string>;
  /** `HTTP/1.0` or `HTTP/1.1`. */
  readonly version: string;
  /** Field names lower-cased; repeated fields joined with `, ` (RFC 9110 §5.3). */
  readonly headers: Map<string, string>;
  readonly body: Uint8Array;
  /** Whether the connection stays open after the response (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
}

// RFC 9110 §5.6.2: tchar.
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const latin1 = new TextDecoder('latin1');

export class HttpRequestParser {
  private buffer = new Uint8Array(0);
  /** Bytes of `buffer` already consumed by earlier requests. */
  private start = 0;
  /** Offset of the first unconsumed byte in the connection's stream, for error offsets. */
  private streamOffset = 0;
  private failed: HttpParseError | undefined;

  constructor(private readonly limits: HttpRequestLimits = DEFAULT_LIMITS) {}

  /** Appends bytes received from the connection. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const rest = this.buffer.subarray(this.start);
    const next = new Uint8Array(rest.length + bytes.length);
    next.set(rest);
    next.set(bytes, rest.length);
    this.buffer = next;
    this.start = 0;
  }

  /** Bytes received and not yet part of a returned request. */
  get pendingBytes(): number {
    return this.buffer.length - this.start;
  }

  /**
   * The next complete request, or undefined until more bytes arrive. After an error the
   * connection's framing is lost: every later call throws the same error.
   */
  next(): HttpRequest | undefined {
    if (this.failed) throw this.failed;
    try {
      return this.parseOne();
    } catch (e) {
      if (e instanceof HttpParseError) this.failed = e;
      throw e;
    }
  }

  private parseOne(): HttpRequest | undefined {
    const b = this.buffer;
    let at = this.start;
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
    while (at + 1 < b.length && b[at] === 0x0d && b[at + 1] === 0x0a) at += 2;
    while (at < b.length && b[at] === 0x0a) at++;
    const headStart = at;
    const end = findHeadEnd(b, headStart);
    if (end === undefined) {
      if (b.length - headStart > this.limits.maxHeaderBytes)
        throw this.error(431, 'Request Header Fields Too Large', this.limits.maxHeaderBytes);
      return undefined;
    }
    if (end.headBytes > this.limits.maxHeaderBytes)
      throw this.error(431, 'Request Header Fields Too Large', this.limits.maxHeaderBytes);
    const lines = splitLines(b, headStart, headStart + end.headBytes);
    const requestLine = lines[0]!;
    const { method, target, version } = this.parseRequestLine(requestLine.text, requestLine.offset);
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) this.parseField(lines[i]!.text, lines[i]!.offset, headers);

    if (headers.has('transfer-encoding'))
      throw this.error(501, 'Transfer-Encoding is not implemented; send a Content-Length body', lines[0]!.offset);
    let bodyBytes = 0;
    const cl = headers.get('content-length');
    if (cl !== undefined) {
      // RFC 9112 §6.3: a list of identical values is one value; anything else is invalid.
      const values = cl.split(',').map((v) => v.trim());
      if (!values.every((v) => /^\d+$/.test(v) && v === values[0]))
        throw this.error(400, `bad Content-Length '${cl}'`, headStart);
      if (values[0]!.length > 15 || Number(values[0]) > this.limits.maxBodyBytes)
        throw this.error(413, `Content Too Large: more than ${this.limits.maxBodyBytes} bytes`, headStart);
      bodyBytes = Number(values[0]);
    }
    if (version === 'HTTP/1.1' && !headers.has('host'))
      throw this.error(400, 'HTTP/1.1 request without Host', headStart);
    const bodyStart = headStart + end.headBytes + end.terminatorBytes;
    if (b.length - bodyStart < bodyBytes) return undefined;
    const body = b.slice(bodyStart, bodyStart + bodyBytes);
    const { path, query } = this.parseTarget(target, requestLine.offset);
    const connection = (headers.get('connection') ?? '')
      .toLowerCase()
      .split(',')
      .map((t) => t.trim());
    const keepAlive = version === 'HTTP/1.1' ? !connection.includes('close') : connection.includes('keep-alive');
    this.streamOffset += bodyStart + bodyBytes - this.start;
    this.start = bodyStart + bodyBytes;
    return { method, target, path, query, version, headers, body, keepAlive };
  }

  private parseRequestLine(line: string, offset: number): { method: string; target: string; version: string } {
    const parts = line.split(' ');
    if (parts.length !== 3) throw this.error(400, 'malformed request line', offset);
    const [method, target, version] = parts as [string, string, string];
    if (!TCHAR.test(method)) throw this.error(400, 'malformed method', offset);
    if (!target.startsWith('/') || !/^[\x21-\x7e]+$/.test(target))
      throw this.error(400, 'request target is not an origin-form path', offset + method.length + 1);
    const v = /^HTTP\/(\d)\.(\d)$/.exec(version);
    if (!v) throw this.error(400, 'malformed HTTP version', offset + method.length + target.length + 2);
    if (v[1] !== '1') throw this.error(505, 'HTTP Version Not Supported', offset + method.length + target.length + 2);
    return { method, target, version: v[2] === '0' ? 'HTTP/1.0' : 'HTTP/1.1' };
  }

  private parseField(line: string, offset: number, headers: Map<string, string>): void {
    if (line.startsWith(' ') || line.startsWith('\t')) throw this.error(400, 'obsolete line folding', offset);
    const colon = line.indexOf(':');
    if (colon <= 0) throw this.error(400, 'header field without a name', offset);
    const name = line.slice(0, colon);
    if (!TCHAR.test(name)) throw this.error(400, 'malformed header field name', offset);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    // RFC 9110 §5.5: field-vchar / obs-text, with SP and HTAB inside; never CR, LF or NUL.
    if (hasControlCharacter(value)) throw this.error(400, 'control character in a header field', offset);
    const key = name.toLowerCase();
    const old = headers.get(key);
    headers.set(key, old === undefined ? value : `${old}, ${value}`);
  }

  private parseTarget(target: string, offset: number): { path: string; query: Map<string, string> } {
    const q = target.indexOf('?');
    const rawPath = q < 0 ? target : target.slice(0, q);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      throw this.error(400, 'bad percent-encoding in the path', offset);
    }
    const query = new Map<string, string>();
    if (q >= 0) {
      try {
        parseFormInto(target.slice(q + 1), query);
      } catch {
        throw this.error(400, 'bad percent-encoding in the query', offset);
      }
    }
    return { path, query };
  }

  private error(status: number, detail: string, bufferOffset: number): HttpParseError {
    return new HttpParseError(status, detail, this.streamOffset + Math.max(0, bufferOffset - this.start));
  }
}

/**
 * `a=1&b=two+words` (application/x-www-form-urlencoded, as query strings are written) into
 * `into`; an existing name keeps its first value. Throws URIError on bad percent-encoding.
 */
export function parseFormInto(text: string, into: Map<string, string>): void {
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    if (!into.has(name)) into.set(name, value);
  }
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** Where the header section ends: CRLFCRLF, or bare LFs (RFC 9112 §2.2 lets a recipient accept LF). */
function findHeadEnd(b: Uint8Array, from: number): { headBytes: number; terminatorBytes: number } | undefined {
  for (let i = from; i < b.length; i++) {
    if (b[i] !== 0x0a) continue;
    // i is an LF ending a line; the head ends when the next line is empty.
    if (b[i + 1] === 0x0a) return { headBytes: i - from, terminatorBytes: 2 };
    if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) {
      const crlf = i > from && b[i - 1] === 0x0d;
      return { headBytes: i - from - (crlf ? 1 : 0), terminatorBytes: crlf ? 4 : 3 };
    }
  }
  return undefined;
}

function splitLines(b: Uint8Array, from: number, to: number): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let lineStart = from;
  for (let i = from; i <= to; i++) {
    if (i === to || b[i] === 0x0a) {
      let lineEnd = i;
      if (lineEnd > lineStart && b[lineEnd - 1] === 0x0d) lineEnd--;
      out.push({ text: latin1.decode(b.subarray(lineStart, lineEnd)), offset: lineStart });
      lineStart = i + 1;
    }
  }
  return out;
}

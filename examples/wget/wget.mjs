// wget for osv-ts: a JS-module app on the BSD socket API of @osv-ts/libc.
//   osv run -n examples/wget/wget.mjs [-q] [-O FILE] http://HOST[:PORT]/PATH
// Resolves HOST with getaddrinfo (numbers, /etc/hosts, DNS), connects to each address in turn,
// sends an HTTP/1.1 GET (RFC 9112) and writes the body to stdout or FILE, decoding chunked
// transfer coding (RFC 9112 §7.1). On stderr: the status, the size and the body's SHA-256.
// Exit statuses as GNU wget's: 0 success, 1 usage, 4 network failure, 8 server error response.
import { Sha256 } from './sha256.mjs';

const USAGE = 'usage: wget.mjs [-q] [-O FILE] http://HOST[:PORT]/PATH\n';
const dec = new TextDecoder();

export default function main(argv, env, libc) {
  const c = libc.constants;
  let output;
  let quiet = false;
  let url;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-O') output = argv[++i];
    else if (a === '-q') quiet = true;
    else if (!a.startsWith('-') && url === undefined) url = a;
    else {
      libc.write(2, USAGE);
      return 1;
    }
  }
  const target = url && parseUrl(url);
  if (!target || (output === undefined && argv.includes('-O'))) {
    libc.write(2, url ? `wget: ${url}: only http://HOST[:PORT]/PATH URLs\n` : USAGE);
    return 1;
  }

  let candidates;
  try {
    candidates = libc.getaddrinfo(target.host, String(target.port), { socktype: c.SOCK_STREAM });
  } catch (e) {
    console.error(`wget: unable to resolve host address '${target.host}': ${e.message}`);
    return 4;
  }
  let fd = -1;
  let failure;
  let peer;
  for (const ai of candidates) {
    const s = libc.socket(ai.family, ai.socktype | c.SOCK_CLOEXEC);
    try {
      libc.connect(s, ai.address);
      fd = s;
      peer = ai.address;
      break;
    } catch (e) {
      failure = e;
      libc.close(s);
    }
  }
  if (fd < 0) {
    console.error(`wget: cannot connect to ${target.host}:${target.port}: ${failure?.message ?? 'no address'}`);
    return 4;
  }
  libc.setsockopt(fd, c.IPPROTO_TCP, c.TCP_NODELAY, 1);
  const hostHeader =
    (target.host.includes(':') ? `[${target.host}]` : target.host) + (target.port === 80 ? '' : `:${target.port}`);
  libc.send(
    fd,
    `GET ${target.path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: osv-ts-wget/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n`,
  );

  const reader = new Reader(libc, fd);
  const statusLine = reader.line();
  const m = statusLine === undefined ? null : /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) {
    console.error(`wget: ${url}: not an HTTP/1.x response`);
    return 4;
  }
  const status = Number(m[1]);
  const headers = new Map();
  for (;;) {
    const line = reader.line();
    if (line === undefined) {
      console.error('wget: connection closed inside the response header');
      return 4;
    }
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }

  const out = output === undefined || output === '-' ? 1 : libc.open(output, c.O_WRONLY | c.O_CREAT | c.O_TRUNC, 0o644);
  const sha = new Sha256();
  let size = 0;
  const sink = (bytes) => {
    sha.update(bytes);
    size += bytes.length;
    for (let at = 0; at < bytes.length;) at += libc.write(out, bytes.subarray(at));
  };
  let complete = true;
  if (/(^|,)\s*chunked\s*$/i.test(headers.get('transfer-encoding') ?? '')) {
    complete = readChunked(reader, sink);
  } else if (headers.has('content-length')) {
    const length = Number(headers.get('content-length'));
    while (size < length) {
      const piece = reader.take(length - size);
      if (!piece) break;
      sink(piece);
    }
    complete = size === length;
  } else {
    for (let piece = reader.take(Infinity); piece; piece = reader.take(Infinity)) sink(piece);
  }
  libc.close(fd);
  if (out !== 1) libc.close(out);
  if (!complete) {
    console.error(`wget: connection closed after ${size} bytes of the body`);
    return 4;
  }
  if (!quiet) {
    console.error(
      `wget: ${status} ${m[2] ?? ''} from ${peer.address} port ${peer.port}: ${size} bytes, sha256 ${sha.hex()}${out !== 1 ? ` -> ${output}` : ''}`,
    );
  }
  return status >= 200 && status < 300 ? 0 : 8;
}

function parseUrl(url) {
  const m = /^http:\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#]+)(?::(\d+))?([/?][^#]*)?(?:#.*)?$/i.exec(url);
  if (!m) return undefined;
  const port = m[2] === undefined ? 80 : Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return {
    host: m[1].replace(/^\[|\]$/g, ''),
    port,
    path: m[3] === undefined ? '/' : m[3].startsWith('?') ? `/${m[3]}` : m[3],
  };
}

/** Buffered reads from a socket: CRLF-terminated lines, then raw bytes. */
class Reader {
  #buf = new Uint8Array(0);
  #eof = false;

  constructor(libc, fd) {
    this.libc = libc;
    this.fd = fd;
    this.chunk = new Uint8Array(65536);
  }

  #fill() {
    if (this.#eof) return false;
    const n = this.libc.recv(this.fd, this.chunk);
    if (n === 0) {
      this.#eof = true;
      return false;
    }
    const joined = new Uint8Array(this.#buf.length + n);
    joined.set(this.#buf);
    joined.set(this.chunk.subarray(0, n), this.#buf.length);
    this.#buf = joined;
    return true;
  }

  /** The next line without its CRLF, or undefined at end of stream. */
  line() {
    for (;;) {
      const lf = this.#buf.indexOf(10);
      if (lf >= 0) {
        const end = lf > 0 && this.#buf[lf - 1] === 13 ? lf - 1 : lf;
        const text = dec.decode(this.#buf.subarray(0, end));
        this.#buf = this.#buf.subarray(lf + 1);
        return text;
      }
      if (this.#buf.length > 65536 || !this.#fill()) return undefined;
    }
  }

  /** Up to `max` bytes (whatever is buffered, else one receive), or undefined at end of stream. */
  take(max) {
    if (this.#buf.length === 0 && !this.#fill()) return undefined;
    const n = Math.min(max, this.#buf.length);
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
}

/** RFC 9112 §7.1: chunk-size [; ext] CRLF data CRLF … 0 CRLF trailers CRLF. */
function readChunked(reader, sink) {
  for (;;) {
    const sizeLine = reader.line();
    if (sizeLine === undefined) return false;
    const size = parseInt(sizeLine.split(';')[0].trim(), 16);
    if (!Number.isFinite(size)) return false;
    if (size === 0) {
      for (let t = reader.line(); t !== undefined && t !== ''; t = reader.line());
      return true;
    }
    for (let left = size; left > 0;) {
      const piece = reader.take(left);
      if (!piece) return false;
      sink(piece);
      left -= piece.length;
    }
    if (reader.line() !== '') return false;
  }
}

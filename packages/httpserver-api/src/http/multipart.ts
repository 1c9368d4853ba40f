// multipart/form-data bodies (RFC 7578, over RFC 2046 §5.1's multipart syntax): what
// `curl -F file=@x` and an HTML form's file input send to POST /file/{path}.
//
//   body      := preamble? dash-boundary padding CRLF part (CRLF dash-boundary padding CRLF part)*
//                CRLF dash-boundary "--" epilogue?
//   part      := header-field* CRLF content          (content never contains CRLF dash-boundary)
//
// Every length and position is checked against the body before it is used, and the only thing
// thrown is MultipartError (a 400 HttpError carrying the byte offset of the fault). Parts are
// views of the body, not copies.
import { HttpError } from './http-error.js';

/** RFC 2046 §5.1.1: 1 to 70 characters of bchars, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
export const MAX_MULTIPART_PARTS = 64;
/** The header fields of one part, CRLFs included. */
export const MAX_PART_HEADER_BYTES = 8192;

export class MultipartError extends HttpError {
  constructor(
    detail: string,
    /** Byte offset in the body where the fault was found (-1: in the Content-Type). */
    readonly offset: number,
  ) {
    super(400, `multipart/form-data: ${detail}`);
  }
}

export interface MultipartPart {
  /** Header fields of the part, names lower-cased. */
  readonly headers: Map<string, string>;
  /** Content-Disposition's `name` (RFC 7578 §4.2: required). */
  readonly name: string;
  /** Content-Disposition's `filename`, when the part is a file. */
  readonly filename?: string;
  readonly contentType?: string;
  readonly data: Uint8Array;
}

/** The boundary of a `multipart/form-data; boundary=…` Content-Type, or MultipartError. */
export function multipartBoundary(contentType: string): string {
  const { type, params } = parseHeaderParams(contentType, -1);
  if (type !== 'multipart/form-data') throw new MultipartError(`Content-Type is ${type || 'missing'}`, -1);
  const b = params.get('boundary');
  if (b === undefined) throw new MultipartError('Content-Type has no boundary', -1);
  if (!BOUNDARY.test(b)) throw new MultipartError('boundary is not 1-70 RFC 2046 characters', -1);
  return b;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  const last = hay.length - needle.length;
  outer: for (let i = from; i <= last; i++) {
    if (hay[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const isCrlf = (b: Uint8Array, at: number): boolean => at + 1 < b.length && b[at] === CR && b[at + 1] === LF;

/** Parses a multipart body delimited by `boundary` into its parts, in order. */
export function parseMultipart(body: Uint8Array, boundary: string): MultipartPart[] {
  if (!BOUNDARY.test(boundary)) throw new MultipartError('boundary is not 1-70 RFC 2046 characters', -1);
  const enc = new TextEncoder();
  const dashBoundary = enc.encode(`--${boundary}`);
  const delimiter = enc.encode(`\r\n--${boundary}`);
  // The first dash-boundary opens the body, or ends the preamble's last line.
  let at: number;
  if (indexOf(body.subarray(0, dashBoundary.length), dashBoundary, 0) === 0) at = dashBoundary.length;
  else {
    const d = indexOf(body, delimiter, 0);
    if (d < 0) throw new MultipartError('no opening boundary', 0);
    at = d + delimiter.length;
  }
  const parts: MultipartPart[] = [];
  for (;;) {
    // After a boundary: "--" closes the body; else optional padding, then CRLF and a part.
    if (at + 1 < body.length && body[at] === DASH && body[at + 1] === DASH) {
      if (parts.length === 0) throw new MultipartError('the body has no parts', at);
      return parts;
    }
    while (at < body.length && (body[at] === 0x20 || body[at] === 0x09)) at++;
    if (!isCrlf(body, at)) throw new MultipartError('a boundary line must end in CRLF', at);
    at += 2;
    if (parts.length === MAX_MULTIPART_PARTS) throw new MultipartError(`more than ${MAX_MULTIPART_PARTS} parts`, at);
    // Header fields up to the empty line (the part may have none: CRLF at once).
    let headerEnd: number;
    let contentStart: number;
    if (isCrlf(body, at)) {
      headerEnd = at;
      contentStart = at + 2;
    } else {
      const window = body.subarray(at, Math.min(body.length, at + MAX_PART_HEADER_BYTES + 4));
      const e = indexOf(window, enc.encode('\r\n\r\n'), 0);
      if (e < 0)
        throw new MultipartError(
          window.length > MAX_PART_HEADER_BYTES
            ? `part headers longer than ${MAX_PART_HEADER_BYTES} bytes`
            : 'part headers do not end',
          at,
        );
      headerEnd = at + e + 2;
      contentStart = at + e + 4;
    }
    const headers = parsePartHeaders(body.subarray(at, headerEnd), at);
    const end = indexOf(body, delimiter, contentStart);
    if (end < 0) throw new MultipartError('a part is not closed by a boundary', contentStart);
    const disposition = headers.get('content-disposition');
    if (disposition === undefined) throw new MultipartError('a part has no Content-Disposition', at);
    const { type, params } = parseHeaderParams(disposition, at);
    if (type !== 'form-data') throw new MultipartError(`Content-Disposition is ${type}, not form-data`, at);
    const name = params.get('name');
    if (name === undefined) throw new MultipartError('a part has no name', at);
    const filename = params.get('filename');
    const contentType = headers.get('content-type');
    parts.push({
      headers,
      name,
      ...(filename !== undefined ? { filename } : {}),
      ...(contentType !== undefined ? { contentType } : {}),
      data: body.subarray(contentStart, end),
    });
    at = end + delimiter.length;
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function parsePartHeaders(block: Uint8Array, offset: number): Map<string, string> {
  const headers = new Map<string, string>();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(block);
  } catch {
    throw new MultipartError('part headers are not UTF-8', offset);
  }
  const lines = text.split('\r\n');
  lines.pop(); // the block ends in CRLF
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!TOKEN.test(name))
      throw new MultipartError(`bad part header line ${JSON.stringify(line.slice(0, 40))}`, offset);
    if (/[\r\n\0]/.test(line)) throw new MultipartError('a part header holds CR, LF or NUL', offset);
    const key = name.toLowerCase();
    if (headers.has(key)) throw new MultipartError(`repeated part header ${name}`, offset);
    headers.set(key, line.slice(colon + 1).trim());
  }
  return headers;
}

/** `type; a=b; c="d \"e\""` (RFC 9110 §5.6.6 parameters, quoted-string §5.6.4). */
function parseHeaderParams(value: string, offset: number): { type: string; params: Map<string, string> } {
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const params = new Map<string, string>();
  let i = semi < 0 ? value.length : semi + 1;
  const ws = (): void => {
    while (i < value.length && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  while (i < value.length) {
    ws();
    const eq = value.indexOf('=', i);
    if (eq < 0) throw new MultipartError(`parameter without a value in ${JSON.stringify(value)}`, offset);
    const key = value.slice(i, eq).trim().toLowerCase();
    if (!TOKEN.test(key)) throw new MultipartError(`bad parameter name in ${JSON.stringify(value)}`, offset);
    i = eq + 1;
    let v = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length)
          throw new MultipartError(`unterminated quoted string in ${JSON.stringify(value)}`, offset);
        const ch = value[i++]!;
        if (ch === '"') break;
        if (ch === '\\') {
          if (i >= value.length)
            throw new MultipartError(`unterminated quoted string in ${JSON.stringify(value)}`, offset);
          v += value[i++]!;
        } else v += ch;
      }
    } else {
      const end = value.indexOf(';', i);
      v = (end < 0 ? value.slice(i) : value.slice(i, end)).trim();
      i = end < 0 ? value.length : end;
    }
    ws();
    if (i < value.length) {
      if (value[i] !== ';') throw new MultipartError(`junk after a parameter in ${JSON.stringify(value)}`, offset);
      i++;
    }
    if (params.has(key)) throw new MultipartError(`repeated parameter ${key}`, offset);
    params.set(key, v);
  }
  return { type, params };
}

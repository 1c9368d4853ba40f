import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpParseError } from './http-error.js';
import { HttpRequestParser, type HttpRequest } from './request-parser.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Feeds `bytes` in the given chunk sizes and returns every request, or the error thrown. */
function parseAll(bytes: Uint8Array, cuts: number[], limits?: ConstructorParameters<typeof HttpRequestParser>[0]) {
  const p = new HttpRequestParser(limits);
  const out: HttpRequest[] = [];
  let at = 0;
  const pump = (): void => {
    for (let r = p.next(); r; r = p.next()) out.push(r);
  };
  for (const c of [...cuts, bytes.length]) {
    const end = Math.min(bytes.length, at + c);
    p.push(bytes.subarray(at, end));
    at = end;
    pump();
    if (at >= bytes.length) break;
  }
  return out;
}

function status(f: () => unknown): number | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof HttpParseError) return e.status;
    throw e;
  }
}

describe('HttpRequestParser', () => {
  it('parses a request with a Content-Length body and decodes the target', () => {
    const [r] = parseAll(
      enc('POST /env/A%20B?val=x+y&z HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello'),
      [],
    );
    expect(r!.method).toBe('POST');
    expect(r!.path).toBe('/env/A B');
    expect([...r!.query]).toEqual([
      ['val', 'x y'],
      ['z', ''],
    ]);
    expect(r!.headers.get('x-a')).toBe('1, 2');
    expect(new TextDecoder().decode(r!.body)).toBe('hello');
    expect(r!.keepAlive).toBe(true);
  });

  it('returns pipelined requests in order, and keep-alive follows the version and Connection', () => {
    const rs = parseAll(
      enc(
        'GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.0\r\n\r\nGET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
      ),
      [3, 7, 1],
    );
    expect(rs.map((r) => [r.path, r.keepAlive])).toEqual([
      ['/a', true],
      ['/b', false],
      ['/c', true],
      ['/d', false],
    ]);
  });

  it('waits for the whole body before returning the request', () => {
    const p = new HttpRequestParser();
    p.push(enc('PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab'));
    expect(p.next()).toBeUndefined();
    p.push(enc('cd'));
    expect(new TextDecoder().decode(p.next()!.body)).toBe('abcd');
  });

  it('refuses oversized headers with 431, even before they end', () => {
    const limits = { maxHeaderBytes: 100, maxBodyBytes: 1000 };
    expect(status(() => parseAll(enc(`GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(200)}`), [], limits))).toBe(431);
    expect(status(() => parseAll(enc(`GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(200)}\r\n\r\n`), [], limits))).toBe(
      431,
    );
    expect(
      status(() => parseAll(enc(`GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(50)}\r\n\r\n`), [], limits)),
    ).toBeUndefined();
  });

  it('refuses a body over the limit with 413 without waiting for it', () => {
    const limits = { maxHeaderBytes: 1000, maxBodyBytes: 10 };
    expect(status(() => parseAll(enc('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n'), [], limits))).toBe(
      413,
    );
    expect(
      status(() =>
        parseAll(enc('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n'), [], limits),
      ),
    ).toBe(413);
  });

  it('refuses what RFC 9112 says to refuse, with the status it names', () => {
    const cases: [string, number][] = [
      ['GET / HTTP/1.1\r\n\r\n', 400], // no Host
      ['GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505],
      ['GET  / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
      ['G(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
      ['GET x HTTP/1.1\r\nHost: h\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n', 400],
      ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n', 501],
      ['GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n', 400],
    ];
    for (const [text, want] of cases) expect([text, status(() => parseAll(enc(text), []))]).toEqual([text, want]);
  });

  it('keeps failing after an error: the framing of the connection is lost', () => {
    const p = new HttpRequestParser();
    p.push(enc('BAD\r\n\r\n'));
    expect(() => p.next()).toThrow(HttpParseError);
    p.push(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'));
    expect(() => p.next()).toThrow(HttpParseError);
  });

  it('property: any bytes in any chunking give requests or an HttpParseError, nothing else', () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.constantFrom(
        ...[
          'GET ',
          'POST ',
          '/os/name',
          ' HTTP/1.1',
          ' HTTP/1.0',
          '\r\n',
          '\n',
          'Host: h',
          'Content-Length: ',
          '3',
          ': ',
          '%',
          '?a=b',
          '\r\n\r\n',
        ].map(enc),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 10 }),
        (pieces, cuts) => {
          const total = pieces.reduce((n, p) => n + p.length, 0);
          const bytes = new Uint8Array(total);
          let at = 0;
          for (const p of pieces) {
            bytes.set(p, at);
            at += p.length;
          }
          try {
            for (const r of parseAll(bytes, cuts, { maxHeaderBytes: 256, maxBodyBytes: 64 })) {
              expect(r.path.startsWith('/')).toBe(true);
              expect(r.body.length).toBeLessThanOrEqual(64);
            }
          } catch (e) {
            if (!(e instanceof HttpParseError)) throw e;
            expect([400, 413, 431, 501, 505]).toContain(e.status);
          }
        },
      ),
      { numRuns: 10_000, seed: 17 },
    );
  });

  it('property: a well-formed request parses back to itself however it is cut', () => {
    const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/);
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        fc.array(fc.stringMatching(/^[a-z0-9._-]{1,8}$/), { maxLength: 4 }),
        fc.array(fc.tuple(token, fc.stringMatching(/^[!-~]([ !-~]{0,20}[!-~])?$/)), { maxLength: 5 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 8 }),
        (method, segments, fields, body, cuts) => {
          const path = '/' + segments.join('/');
          const head = fields.filter(([n]) => !/^(host|content-length|transfer-encoding|connection)$/i.test(n));
          const text = `${method} ${path} HTTP/1.1\r\nHost: h\r\n${head.map(([n, v]) => `${n}: ${v}\r\n`).join('')}Content-Length: ${body.length}\r\n\r\n`;
          const bytes = new Uint8Array([...enc(text), ...body]);
          const rs = parseAll(bytes, cuts);
          expect(rs).toHaveLength(1);
          expect(rs[0]!.method).toBe(method);
          expect(rs[0]!.path).toBe(path);
          expect([...rs[0]!.body]).toEqual([...body]);
          for (const [n, v] of head) expect(rs[0]!.headers.get(n.toLowerCase())).toContain(v);
        },
      ),
      { numRuns: 2000, seed: 18 },
    );
  });
});

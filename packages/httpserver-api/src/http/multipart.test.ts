import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MULTIPART_PARTS, MultipartError, multipartBoundary, parseMultipart } from './multipart.js';

const enc = new TextEncoder();
const concat = (chunks: (string | Uint8Array)[]): Uint8Array => {
  const bytes = chunks.map((c) => (typeof c === 'string' ? enc.encode(c) : c));
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    out.set(b, at);
    at += b.length;
  }
  return out;
};

interface PartSpec {
  name: string;
  filename?: string;
  contentType?: string;
  data: Uint8Array;
}

const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** A body as curl -F and browsers write it. */
function body(boundary: string, parts: PartSpec[], preamble = '', epilogue = ''): Uint8Array {
  const chunks: (string | Uint8Array)[] = [preamble === '' ? '' : `${preamble}\r\n`];
  for (const p of parts) {
    chunks.push(`--${boundary}\r\nContent-Disposition: form-data; name=${quote(p.name)}`);
    if (p.filename !== undefined) chunks.push(`; filename=${quote(p.filename)}`);
    chunks.push('\r\n');
    if (p.contentType !== undefined) chunks.push(`Content-Type: ${p.contentType}\r\n`);
    chunks.push('\r\n', p.data, '\r\n');
  }
  chunks.push(`--${boundary}--${epilogue}`);
  return concat(chunks);
}

const contains = (hay: Uint8Array, needle: Uint8Array): boolean => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
};

const boundaryArb = fc.stringMatching(/^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/);
// Printable text without CR/LF, so header values stay one line.
const textArb = fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n\0]/g, '_'));
const partArb = fc.record(
  {
    name: textArb,
    filename: textArb,
    contentType: fc.constantFrom('application/octet-stream', 'text/plain; charset=utf-8'),
    data: fc.uint8Array({ maxLength: 300 }),
  },
  { requiredKeys: ['name', 'data'] },
);

describe('parseMultipart', () => {
  it('reads what curl -F sends', () => {
    const b = multipartBoundary('multipart/form-data; boundary=------------------------d74496d66958873e');
    const text =
      '--------------------------d74496d66958873e\r\n' +
      'Content-Disposition: form-data; name="file"; filename="x.txt"\r\n' +
      'Content-Type: text/plain\r\n\r\n' +
      'hello\r\n\r\nworld\r\n' +
      '--------------------------d74496d66958873e--\r\n';
    const [p, ...rest] = parseMultipart(enc.encode(text), b);
    expect(rest).toEqual([]);
    expect([p!.name, p!.filename, p!.contentType, new TextDecoder().decode(p!.data)]).toEqual([
      'file',
      'x.txt',
      'text/plain',
      'hello\r\n\r\nworld',
    ]);
  });

  it('takes the boundary from Content-Type, quoted or not, and refuses a bad one', () => {
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('Multipart/Form-Data;boundary=xyz')).toBe('xyz');
    for (const bad of [
      'application/json',
      'multipart/form-data',
      'multipart/form-data; boundary=',
      `multipart/form-data; boundary=${'a'.repeat(71)}`,
      'multipart/form-data; boundary="ends in space "',
      'multipart/form-data; boundary="unterminated',
      'multipart/form-data; boundary=a; boundary=b',
    ])
      expect(() => multipartBoundary(bad)).toThrow(MultipartError);
  });

  it('refuses bodies without parts, unclosed parts, parts without a name, and too many parts', () => {
    const bad = [
      '',
      '--b--',
      '--b\r\nContent-Disposition: form-data; name="f"\r\n\r\ndata',
      '--b\r\nContent-Disposition: form-data; name="f"\r\n\r\ndata\r\n--b',
      '--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--',
      '--b\r\nContent-Disposition: attachment; name="f"\r\n\r\nx\r\n--b--',
      '--b\r\n\r\nx\r\n--b--',
      '--bX\r\n',
      '--b\r\nno colon\r\n\r\nx\r\n--b--',
      '--b\r\nContent-Disposition: form-data; name="f"\r\n' + 'X-A: b\r\n'.repeat(2000) + '\r\nx\r\n--b--',
      '--b\r\n' + 'Content-Disposition: form-data; name="f"\r\n\r\nx\r\n--b\r\n'.repeat(MAX_MULTIPART_PARTS + 1),
    ];
    for (const text of bad) {
      let thrown: unknown;
      try {
        parseMultipart(enc.encode(text), 'b');
      } catch (e) {
        thrown = e;
      }
      expect([text.slice(0, 60), thrown instanceof MultipartError]).toEqual([text.slice(0, 60), true]);
      expect((thrown as MultipartError).status).toBe(400);
    }
  });

  it('round-trips any parts whose data does not hold the delimiter (10^4 cases)', () => {
    fc.assert(
      fc.property(
        boundaryArb,
        fc.array(partArb, { minLength: 1, maxLength: 5 }),
        textArb,
        textArb,
        (boundary, specs, preamble, epilogue) => {
          const delimiter = enc.encode(`\r\n--${boundary}`);
          fc.pre(specs.every((s) => !contains(concat([s.data, '\r\n']), delimiter)));
          fc.pre(!contains(enc.encode(`${preamble}\r\n`), enc.encode(`--${boundary}`)));
          const parts = parseMultipart(body(boundary, specs, preamble, epilogue), boundary);
          expect(
            parts.map((p) => ({
              name: p.name,
              ...(p.filename !== undefined ? { filename: p.filename } : {}),
              ...(p.contentType !== undefined ? { contentType: p.contentType } : {}),
              data: p.data,
            })),
          ).toEqual(specs);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('on any damaged body returns parts inside the body or throws MultipartError only (10^4 cases)', () => {
    fc.assert(
      fc.property(
        fc.array(partArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: -1, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (specs, edits, cut) => {
          const whole = body('XyZ', specs);
          const bytes = Array.from(whole.subarray(0, whole.length - (cut % Math.max(1, whole.length + 1))));
          // Overwrite, or (value -1) delete, bytes at random places.
          for (const [pos, v] of edits) {
            if (bytes.length === 0) break;
            const i = pos % bytes.length;
            if (v < 0) bytes.splice(i, 1);
            else bytes[i] = v;
          }
          const damaged = Uint8Array.from(bytes);
          try {
            for (const p of parseMultipart(damaged, 'XyZ')) {
              expect(p.data.buffer).toBe(damaged.buffer);
              expect(p.data.byteOffset + p.data.length).toBeLessThanOrEqual(damaged.length);
            }
          } catch (e) {
            if (!(e instanceof MultipartError)) throw e;
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

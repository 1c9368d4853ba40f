// FUSE codecs, both directions: every request and reply round-trips exactly, and no byte
// sequence — random, truncated or corrupted from a valid message — makes a decoder throw
// anything but FuseFormatError (10^4 cases each).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FuseFormatError } from './fuse-format-error.js';
import { decodeFuseRequest, encodeFuseRequest, type FuseRequestBody, type FuseOp } from './fuse-request.js';
import { decodeFuseReply, encodeFuseReply, REPLY_KIND_OF, type FuseReply } from './fuse-reply.js';

const RUNS = 10_000;
const u32 = fc.nat({ max: 0xffffffff });
const u16 = fc.nat({ max: 0xffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const name = fc.stringMatching(/^[a-zA-Z0-9._ \u00e9\u4e2d-]{1,40}$/);
const target = fc.stringMatching(/^[a-zA-Z0-9._/ \u00e9-]{1,80}$/);
const data = fc.uint8Array({ maxLength: 300 });

const requestBody: fc.Arbitrary<FuseRequestBody> = fc.oneof(
  fc.record({ op: fc.constant('init' as const), major: u32, minor: u32, maxReadahead: u32, flags: u32 }),
  fc.constantFrom(...(['destroy', 'readlink', 'statfs'] as const)).map((op) => ({ op })),
  fc.record({ op: fc.constantFrom(...(['lookup', 'unlink', 'rmdir'] as const)), name }),
  fc.record({ op: fc.constant('forget' as const), nlookup: u64 }),
  fc.record({
    op: fc.constant('batch-forget' as const),
    forgets: fc.array(fc.record({ nodeid: u64, nlookup: u64 }), { maxLength: 8 }),
  }),
  fc.record({ op: fc.constant('getattr' as const), flags: u32, fh: u64 }),
  fc.record({
    op: fc.constant('setattr' as const),
    valid: u32,
    fh: u64,
    size: u64,
    atime: u64,
    atimensec: u32,
    mtime: u64,
    mtimensec: u32,
    mode: u32,
    uid: u32,
    gid: u32,
  }),
  fc.record({ op: fc.constant('symlink' as const), name, target }),
  fc.record({ op: fc.constant('mkdir' as const), mode: u32, umask: u32, name }),
  fc.record({ op: fc.constant('rename' as const), newdir: u64, oldname: name, newname: name }),
  fc.record({ op: fc.constant('link' as const), oldnodeid: u64, newname: name }),
  fc.record({ op: fc.constantFrom(...(['open', 'opendir'] as const)), flags: u32 }),
  fc.record({ op: fc.constantFrom(...(['read', 'readdir', 'readdirplus'] as const)), fh: u64, offset: u64, size: u32 }),
  fc.record({ op: fc.constant('write' as const), fh: u64, offset: u64, data }),
  fc.record({ op: fc.constantFrom(...(['release', 'releasedir'] as const)), fh: u64, flags: u32 }),
  fc.record({ op: fc.constant('flush' as const), fh: u64 }),
  fc.record({ op: fc.constantFrom(...(['fsync', 'fsyncdir'] as const)), fh: u64, fsyncFlags: u32 }),
  fc.record({ op: fc.constant('access' as const), mask: u32 }),
  fc.record({ op: fc.constant('create' as const), flags: u32, mode: u32, umask: u32, name }),
);
const header = fc.record({ unique: u64, nodeid: u64, uid: u32, gid: u32, pid: u32 });

const attr = fc.record({
  ino: u64,
  size: u64,
  blocks: u64,
  atime: u64,
  mtime: u64,
  ctime: u64,
  atimensec: u32,
  mtimensec: u32,
  ctimensec: u32,
  mode: u32,
  nlink: u32,
  uid: u32,
  gid: u32,
  rdev: u32,
  blksize: u32,
  flags: u32,
});
const entry = fc.record({
  nodeid: u64,
  generation: u64,
  entryValid: u64,
  attrValid: u64,
  entryValidNsec: u32,
  attrValidNsec: u32,
  attr,
});
const dirent = fc.record({ ino: u64, off: u64, type: u32, name });
const errno = fc.integer({ min: 1, max: 4095 });

/** A reply of the shape `op` expects, or an error. */
function replyFor(op: FuseOp): fc.Arbitrary<FuseReply> {
  const error = errno.map((e) => ({ kind: 'error' as const, errno: e }));
  let ok: fc.Arbitrary<FuseReply>;
  switch (REPLY_KIND_OF[op]) {
    case 'init':
      ok = fc.record({
        kind: fc.constant('init' as const),
        major: u32,
        minor: u32,
        maxReadahead: u32,
        flags: u32,
        maxBackground: u16,
        congestionThreshold: u16,
        maxWrite: u32,
        timeGran: u32,
        maxPages: u16,
      });
      break;
    case 'entry':
      ok = fc.record({ kind: fc.constant('entry' as const), entry });
      break;
    case 'attr':
      ok = fc.record({ kind: fc.constant('attr' as const), attrValid: u64, attrValidNsec: u32, attr });
      break;
    case 'open':
      ok = fc.record({ kind: fc.constant('open' as const), fh: u64, openFlags: u32 });
      break;
    case 'create':
      ok = fc.record({ kind: fc.constant('create' as const), entry, fh: u64, openFlags: u32 });
      break;
    case 'data':
      ok = fc.record({ kind: fc.constant('data' as const), data });
      break;
    case 'write':
      ok = fc.record({ kind: fc.constant('write' as const), size: u32 });
      break;
    case 'statfs':
      ok = fc.record({
        kind: fc.constant('statfs' as const),
        blocks: u64,
        bfree: u64,
        bavail: u64,
        files: u64,
        ffree: u64,
        bsize: u32,
        namelen: u32,
        frsize: u32,
      });
      break;
    case 'dirents':
      ok = fc.record({ kind: fc.constant('dirents' as const), entries: fc.array(dirent, { maxLength: 5 }) });
      break;
    case 'direntsplus':
      ok = fc.record({
        kind: fc.constant('direntsplus' as const),
        entries: fc.array(fc.record({ entry, dirent }), { maxLength: 3 }),
      });
      break;
    default:
      ok = fc.constant({ kind: 'none' as const });
  }
  return fc.oneof(ok, error);
}

const repliedOps = (Object.keys(REPLY_KIND_OF) as FuseOp[]).filter((op) => REPLY_KIND_OF[op] !== undefined);
const opAndReply = fc.constantFrom(...repliedOps).chain((op) => fc.tuple(fc.constant(op), replyFor(op), u64));

/** Runs `decode` and fails the property on any exception but FuseFormatError. */
function onlyFormatErrors(decode: () => unknown): void {
  try {
    decode();
  } catch (e) {
    if (!(e instanceof FuseFormatError)) throw e;
    expect(e.errno).toBe(5);
  }
}

/** Mutations of a valid message: truncation, extension, byte flips. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
);
type Mutation = { kind: string; at?: number; extra?: Uint8Array; value?: number };
function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const b = Uint8Array.from(bytes);
  if (m.kind === 'truncate') return b.subarray(0, (m.at ?? 0) % Math.max(1, b.length));
  if (m.kind === 'extend') {
    const out = new Uint8Array(b.length + m.extra!.length);
    out.set(b);
    out.set(m.extra!, b.length);
    return out;
  }
  if (b.length > 0) b[(m.at ?? 0) % b.length] = m.value!;
  return b;
}

describe('FUSE request codec', () => {
  it('decodes every encoded request to itself, len and opcode included', () => {
    fc.assert(
      fc.property(header, requestBody, (h, body) => {
        const bytes = encodeFuseRequest(h, body);
        expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)).toBe(bytes.length);
        const back = decodeFuseRequest(bytes);
        expect(back.body).toEqual(body);
        expect(back.header).toMatchObject(h);
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects random bytes with FuseFormatError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => onlyFormatErrors(() => decodeFuseRequest(bytes))),
      { numRuns: RUNS },
    );
  });

  it('rejects truncated, extended or corrupted requests with FuseFormatError only', () => {
    fc.assert(
      fc.property(header, requestBody, mutation, (h, body, m) =>
        onlyFormatErrors(() => decodeFuseRequest(mutate(encodeFuseRequest(h, body), m))),
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses a request whose len disagrees with its size, naming the field', () => {
    const bytes = encodeFuseRequest({ unique: 1n, nodeid: 1n, uid: 0, gid: 0, pid: 0 }, { op: 'lookup', name: 'a' });
    expect(() => decodeFuseRequest(bytes.subarray(0, bytes.length - 1))).toThrow(/fuse_in_header\.len/);
    const noNul = Uint8Array.from(bytes);
    noNul[noNul.length - 1] = 0x61;
    expect(() => decodeFuseRequest(noNul)).toThrow(/name at offset 40: no terminating NUL/);
  });

  it('leaves an unknown opcode to the device (ENOSYS) rather than refusing the message', () => {
    const bytes = encodeFuseRequest({ unique: 9n, nodeid: 1n, uid: 0, gid: 0, pid: 0 }, { op: 'statfs' });
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(4, 4000, true);
    const r = decodeFuseRequest(bytes);
    expect(r.body).toBeUndefined();
    expect(r.header.unique).toBe(9n);
  });
});

describe('FUSE reply codec', () => {
  it('decodes every encoded reply to itself, for the op it answers', () => {
    fc.assert(
      fc.property(opAndReply, ([op, reply, unique]) => {
        const back = decodeFuseReply(encodeFuseReply(unique, reply), op, unique);
        expect(back.reply).toEqual(reply);
        expect(back.unique).toBe(unique);
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects random bytes with FuseFormatError only', () => {
    fc.assert(
      fc.property(fc.constantFrom(...repliedOps), fc.uint8Array({ maxLength: 300 }), (op, bytes) =>
        onlyFormatErrors(() => decodeFuseReply(bytes, op)),
      ),
      { numRuns: RUNS },
    );
  });

  it('rejects truncated, extended or corrupted replies with FuseFormatError only', () => {
    fc.assert(
      fc.property(opAndReply, mutation, ([op, reply, unique], m) =>
        onlyFormatErrors(() => decodeFuseReply(mutate(encodeFuseReply(unique, reply), m), op, unique)),
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses a reply to another request, a positive error and an error with a body', () => {
    const ok = encodeFuseReply(7n, { kind: 'write', size: 3 });
    expect(() => decodeFuseReply(ok, 'write', 8n)).toThrow(/unique/);
    const err = encodeFuseReply(7n, { kind: 'error', errno: 2 });
    expect(decodeFuseReply(err, 'lookup', 7n).reply).toEqual({ kind: 'error', errno: 2 });
    const positive = Uint8Array.from(err);
    new DataView(positive.buffer).setInt32(4, 2, true);
    expect(() => decodeFuseReply(positive, 'lookup')).toThrow(/not a negative errno/);
    const withBody = encodeFuseReply(7n, { kind: 'write', size: 3 });
    new DataView(withBody.buffer, withBody.byteOffset).setInt32(4, -5, true);
    expect(() => decodeFuseReply(withBody, 'write')).toThrow(/trailing/);
    expect(() => decodeFuseReply(ok, 'forget')).toThrow(FuseFormatError);
  });
});

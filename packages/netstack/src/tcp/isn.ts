// Initial sequence numbers, RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
// secretkey), M a 4-microsecond timer. F is HalfSipHash-2-4 (a keyed PRF on 32-bit words)
// keyed with 64 bits from the stack's Entropy, standing in for the MD5 the RFC suggests.

const rotl = (x: number, b: number) => ((x << b) | (x >>> (32 - b))) >>> 0;

/** HalfSipHash-2-4 with a 32-bit result over a byte string. */
export function halfSipHash(key: Uint32Array, data: Uint8Array): number {
  let v0 = key[0]! >>> 0;
  let v1 = key[1]! >>> 0;
  let v2 = (0x6c796765 ^ v0) >>> 0;
  let v3 = (0x74656462 ^ v1) >>> 0;
  const round = () => {
    v0 = (v0 + v1) >>> 0;
    v1 = rotl(v1, 5) ^ v0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) >>> 0;
    v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) >>> 0;
    v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) >>> 0;
    v1 = rotl(v1, 13) ^ v2;
    v2 = rotl(v2, 16);
  };
  const n = data.length;
  const whole = n & ~3;
  for (let i = 0; i < whole; i += 4) {
    const m = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  let b = (n << 24) >>> 0;
  for (let i = whole; i < n; i++) b |= data[i]! << (8 * (i - whole));
  b >>>= 0;
  v3 ^= b;
  round();
  round();
  v0 ^= b;
  v2 ^= 0xff;
  round();
  round();
  round();
  round();
  return (v1 ^ v3) >>> 0;
}

export class IsnGenerator {
  private readonly key = new Uint32Array(2);

  constructor(seed: Uint8Array) {
    const v = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
    this.key[0] = seed.length >= 4 ? v.getUint32(0) : 0;
    this.key[1] = seed.length >= 8 ? v.getUint32(4) : 0;
  }

  isn(local: Uint8Array, localPort: number, remote: Uint8Array, remotePort: number, nowNs: number): number {
    const data = new Uint8Array(local.length + remote.length + 4);
    data.set(local, 0);
    data.set(remote, local.length);
    const o = local.length + remote.length;
    data[o] = localPort >>> 8;
    data[o + 1] = localPort;
    data[o + 2] = remotePort >>> 8;
    data[o + 3] = remotePort;
    const m = Math.floor(nowNs / 4000) % 0x100000000;
    return (m + halfSipHash(this.key, data)) >>> 0;
  }
}

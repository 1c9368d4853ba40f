// ZAP name hash (zap_hash in zap_micro.c), reference §7.2: CRC-64 (ECMA-182, reflected) seeded
// with the ZAP's salt, over the name bytes without the NUL; only the top 28 bits are kept
// (48 with ZAP_FLAG_HASH64).
const POLY = 0xc96c5795d7870f42n;
const TABLE: bigint[] = [];
for (let i = 0; i < 256; i++) {
  let crc = BigInt(i);
  for (let j = 0; j < 8; j++) crc = (crc >> 1n) ^ ((crc & 1n) !== 0n ? POLY : 0n);
  TABLE.push(crc);
}

export const ZAP_HASHBITS = 28;
export const ZAP_HASHBITS_64 = 48;

export function zapHash(salt: bigint, name: Uint8Array, hashBits = ZAP_HASHBITS): bigint {
  let h = salt;
  for (let i = 0; i < name.length; i++) h = (h >> 8n) ^ TABLE[Number((h ^ BigInt(name[i]!)) & 0xffn)]!;
  const keep = BigInt(64 - hashBits);
  return (h >> keep) << keep;
}

// Memory sizes in OSv's / QEMU's syntax (`64M`, `1G`, `512K`, `1048576`): a number with an
// optional K, M, G or T suffix (binary units; a bare number is MiB as QEMU's -m takes it, unless
// it ends in B for bytes).

export class MemorySizeError extends Error {
  override readonly name = 'MemorySizeError';
}

const UNITS: Record<string, number> = { '': 1024 * 1024, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export function parseMemorySize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtTbB]?)(?:i?[bB])?\s*$/.exec(text);
  if (!m) throw new MemorySizeError(`invalid memory size '${text}' (examples: 64M, 1G, 512K)`);
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new MemorySizeError(`invalid memory size '${text}'`);
  return bytes;
}

export function formatMemorySize(bytes: number): string {
  for (const [u, f] of [
    ['T', 1024 ** 4],
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const)
    if (bytes % f === 0) return `${bytes / f}${u}`;
  return `${bytes}B`;
}

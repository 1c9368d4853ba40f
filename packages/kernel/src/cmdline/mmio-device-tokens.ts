// `virtio_mmio.device=<size>@<baseaddr>:<irq>[:<id>]` tokens (Linux's and OSv's syntax, as
// Firecracker appends them): extracted from the command line before anything else is parsed
// (OSv arch/x64/arch-setup.cc). <size> is decimal with an optional K/k or M/m suffix,
// <baseaddr> is %lli (so 0x.. hex, 0.. octal or decimal), <irq> an unsigned integer.

export interface MmioDeviceToken {
  readonly sizeBytes: number;
  readonly baseAddress: number;
  readonly irq: number;
  readonly id?: number;
}

export class CommandLineError extends Error {
  override readonly name = 'CommandLineError';
  constructor(
    message: string,
    /** Character offset of the fault in the text that was parsed, when there is one place. */
    readonly offset?: number,
  ) {
    super(message);
  }
}

const PREFIX = 'virtio_mmio.device=';

export function extractMmioDevices(cmdline: string): { devices: MmioDeviceToken[]; rest: string } {
  const devices: MmioDeviceToken[] = [];
  let rest = cmdline;
  for (;;) {
    const at = rest.indexOf(PREFIX);
    if (at < 0) break;
    let end = at + PREFIX.length;
    while (end < rest.length && !/\s/.test(rest[end]!)) end++;
    devices.push(parseMmioDevice(rest.slice(at + PREFIX.length, end)));
    rest = rest.slice(0, at) + rest.slice(end);
  }
  return { devices, rest };
}

export function parseMmioDevice(value: string): MmioDeviceToken {
  const m = /^(\d+)([KkMm]?)@(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*):(\d+)(?::(\d+))?$/.exec(value);
  if (!m)
    throw new CommandLineError(`bad virtio_mmio.device value '${value}' (expected <size>@<baseaddr>:<irq>[:<id>])`);
  const unit = m[2]!.toLowerCase() === 'k' ? 1024 : m[2]!.toLowerCase() === 'm' ? 1024 * 1024 : 1;
  const addr = m[3]!;
  const baseAddress = /^0[xX]/.test(addr)
    ? parseInt(addr.slice(2), 16)
    : addr.length > 1 && addr.startsWith('0')
      ? parseInt(addr, 8)
      : parseInt(addr, 10);
  const token: MmioDeviceToken = { sizeBytes: Number(m[1]) * unit, baseAddress, irq: Number(m[4]) };
  return m[5] !== undefined ? { ...token, id: Number(m[5]) } : token;
}

export function formatMmioDevice(d: MmioDeviceToken): string {
  const size =
    d.sizeBytes % (1024 * 1024) === 0
      ? `${d.sizeBytes / (1024 * 1024)}M`
      : d.sizeBytes % 1024 === 0
        ? `${d.sizeBytes / 1024}K`
        : `${d.sizeBytes}`;
  return `${PREFIX}${size}@0x${d.baseAddress.toString(16)}:${d.irq}${d.id !== undefined ? `:${d.id}` : ''}`;
}

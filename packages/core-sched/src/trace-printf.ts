// A tracepoint's printf-style format applied to its arguments, as OSv's scripts/trace.py does
// it (`format % tuple(data)` in Python, after replacing `%p` by `0x%016x`): conversions
// d i u o x X e E f F g G c s p %, flags - + space 0 #, width and precision; C length modifiers
// (h, l, ll, z, j, t) are accepted and ignored, as Python ignores h, l and L.
export type TraceArg = number | bigint | boolean | string;

const CONVERSION = /%([-+ 0#]*)(\d+)?(?:\.(\d*))?(?:hh|h|ll|l|L|z|j|t|q)?([diouxXeEfFgGcsp%])/g;

export function tracePrintf(format: string, args: readonly TraceArg[]): string {
  let i = 0;
  return format.replace(
    CONVERSION,
    (whole: string, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
      if (conv === '%') return '%';
      if (i >= args.length) return whole;
      const arg = args[i++]!;
      const prec = precision === undefined ? undefined : Number(precision === '' ? 0 : precision);
      return pad(convert(conv, flags, prec, arg), flags, width === undefined ? 0 : Number(width), conv);
    },
  );
}

function convert(conv: string, flags: string, prec: number | undefined, arg: TraceArg): string {
  switch (conv) {
    case 'd':
    case 'i':
    case 'u':
      return sign(integer(arg).toString(10), flags);
    case 'o':
      return sign(radix(integer(arg), 8, flags.includes('#') ? '0o' : ''), flags);
    case 'x':
    case 'X': {
      const s = sign(radix(integer(arg), 16, flags.includes('#') ? '0x' : ''), flags);
      return conv === 'X' ? s.toUpperCase() : s;
    }
    case 'p':
      // trace.py turns %p into 0x%016x.
      return `0x${radix(integer(arg), 16, '').padStart(16, '0')}`;
    case 'e':
    case 'E': {
      const s = sign(exponential(real(arg), prec ?? 6), flags);
      return conv === 'E' ? s.toUpperCase() : s;
    }
    case 'f':
    case 'F':
      return sign(fixed(real(arg), prec ?? 6), flags);
    case 'g':
    case 'G': {
      const s = sign(general(real(arg), prec ?? 6, flags.includes('#')), flags);
      return conv === 'G' ? s.toUpperCase() : s;
    }
    case 'c':
      return typeof arg === 'string' ? arg.slice(0, 1) : String.fromCodePoint(Number(integer(arg)));
    default: {
      // %s: Python's str() of the value.
      const s = typeof arg === 'boolean' ? (arg ? 'True' : 'False') : String(arg);
      return prec === undefined ? s : s.slice(0, prec);
    }
  }
}

function integer(arg: TraceArg): bigint {
  if (typeof arg === 'bigint') return arg;
  if (typeof arg === 'boolean') return arg ? 1n : 0n;
  const n = Number(arg);
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
}

function real(arg: TraceArg): number {
  return typeof arg === 'boolean' ? Number(arg) : Number(arg);
}

/** Python prints negative numbers in any base with a minus sign, not two's complement. */
function radix(v: bigint, base: number, prefix: string): string {
  return v < 0n ? `-${prefix}${(-v).toString(base)}` : `${prefix}${v.toString(base)}`;
}

function sign(s: string, flags: string): string {
  if (s.startsWith('-') || s === 'nan' || s === 'NaN') return s;
  return flags.includes('+') ? `+${s}` : flags.includes(' ') ? ` ${s}` : s;
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return undefined;
}

function fixed(v: number, prec: number): string {
  return special(v) ?? v.toFixed(Math.min(prec, 100));
}

/** C's %e: at least two exponent digits. */
function exponential(v: number, prec: number): string {
  const s = special(v);
  if (s !== undefined) return s;
  return v.toExponential(Math.min(prec, 100)).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** C's %g: %e when the exponent is < -4 or >= the precision, else %f; trailing zeros dropped. */
function general(v: number, prec: number, keepZeros: boolean): string {
  const s = special(v);
  if (s !== undefined) return s;
  const p = prec === 0 ? 1 : Math.min(prec, 100);
  if (v === 0) return keepZeros ? (0).toFixed(p - 1) : '0';
  const exp = Number(v.toExponential(p - 1).split('e')[1]);
  const out = exp < -4 || exp >= p ? exponential(v, p - 1) : v.toFixed(Math.max(0, p - 1 - exp));
  if (keepZeros) return out;
  return out.replace(/(\.\d*?)0+(?=e|$)/, '$1').replace(/\.(?=e|$)/, '');
}

function pad(s: string, flags: string, width: number, conv: string): string {
  if (s.length >= width) return s;
  if (flags.includes('-')) return s.padEnd(width);
  if (flags.includes('0') && !'csp'.includes(conv) && !/^[+ -]?(?:nan|inf)$/.test(s)) {
    const m = /^([+ -]?(?:0[xXo])?)(.*)$/.exec(s)!;
    return m[1]! + m[2]!.padStart(width - m[1]!.length, '0');
  }
  return s.padStart(width);
}

// Shared tsup settings: every package ships ESM + .d.ts from its src/ entry points.
import type { Options } from 'tsup';

export function packageConfig(entry: Record<string, string> | string[], extra: Options = {}): Options {
  return {
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: true,
    treeshake: true,
    ...extra,
  };
}

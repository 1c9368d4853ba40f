// How a vCPU worker runs a composed kernel (kernel-api's VcpuEntry): the bundle is read, wrapped
// as the body of `function (__osv_vcpu) { … }` and compiled as a classic script, with V8's code
// cache when the VMM names one. Node 20 keeps no code cache for ES modules; for a ~130–200 KiB
// kernel the compile is most of what the vCPU does before the kernel's first line. The cache is
// written by the worker itself just before power-off (VcpuEntry.poweringOff: by then the
// kernel's hot functions are compiled, so the cache holds them too), only when there was none
// or V8 rejected it (another V8, other flags, another source length).
//
// V8 checks a cache against the source's length, not its bytes, so the VMM must give each
// kernel content a cache path of its own (tools/osv names it by the bundle's SHA-256). The
// cache lives in the private cache directory, like the kernels it belongs to.
import { VCPU_ENTRY_PARAMETER } from '@osv-ts/kernel-api';

/** What a bootstrap needs to run a kernel. */
export interface KernelBoot {
  readonly kernelPath: string;
  readonly ram: SharedArrayBuffer;
  /** Where the V8 code cache of this kernel's content is (read, and written when missing). */
  readonly codeCachePath?: string;
}

/**
 * Bootstrap source (CommonJS run with `eval`) declaring `bootKernel(boot)` for a KernelBoot. It
 * takes what it needs from Node before the kernel runs (the kernel deletes Node's host globals).
 */
export function kernelScriptSource(): string {
  return `const bootKernel = (() => {
  const { readFileSync, writeFileSync, renameSync, rmSync } = require('node:fs');
  const { Script } = require('node:vm');
  const { threadId } = require('node:worker_threads');
  const pid = process.pid;
  const keepCache = (script, path) => () => {
    const tmp = path + '.' + pid + '.' + threadId + '.tmp';
    try {
      writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      renameSync(tmp, path);
    } catch {
      rmSync(tmp, { force: true });
    }
  };
  return (boot) => {
    const source = '(function (${VCPU_ENTRY_PARAMETER}) {"use strict";' + readFileSync(boot.kernelPath, 'utf8') + '\\n})';
    let cachedData;
    if (boot.codeCachePath) {
      try {
        cachedData = readFileSync(boot.codeCachePath);
      } catch {}
    }
    const script = new Script(source, { filename: boot.kernelPath, cachedData });
    const fresh = boot.codeCachePath !== undefined && (cachedData === undefined || script.cachedDataRejected);
    const poweringOff = fresh ? keepCache(script, boot.codeCachePath) : undefined;
    script.runInThisContext()({ ram: boot.ram, poweringOff });
  };
})();`;
}

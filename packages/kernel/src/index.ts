// @osv-ts/kernel: the composition root. `runWasm` is the inprocess target; `@osv-ts/kernel/vm`
// is the entry the composed microVM kernel boots through.
export { runWasm } from './run-wasm.js';
export type { RunWasmOptions } from './run-wasm.js';
export { Kernel, OSV_TS_VERSION } from './boot/kernel.js';
export type { Platform } from './boot/platform.js';
export { ModuleRegistry } from './boot/module-registry.js';
export { ExitStatus, runWasmApp } from './app/wasm-app.js';
export type { AppResult, WasmAppOptions } from './app/wasm-app.js';
export { JS_APP_HEADER, isJsApp } from './app/js-app-format.js';
export { JS_APP_CAPABILITY } from './app/js-app-runner.js';
export type { JsAppRunner, JsAppRunOptions } from './app/js-app-runner.js';
export {
  extractMmioDevices,
  parseMmioDevice,
  formatMmioDevice,
  CommandLineError,
} from './cmdline/mmio-device-tokens.js';
export type { MmioDeviceToken } from './cmdline/mmio-device-tokens.js';
export { splitLoaderCommandLine } from './cmdline/loader-cmdline.js';
export { parseLoaderOptions, LOADER_USAGE } from './cmdline/loader-options.js';
export type { LoaderOptions, MountRequest, StaticIp } from './cmdline/loader-options.js';
export { parseAppCommands } from './cmdline/app-commands.js';
export type { AppCommand, Terminator } from './cmdline/app-commands.js';
export { BootFlag } from './platform/vm-platform.js';

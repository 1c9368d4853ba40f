// @osv-ts/kernel: the composition root. `runWasm` is the inprocess target; `@osv-ts/kernel/vm`
// is the entry the composed microVM kernel boots through.
export { runWasm } from './run-wasm.js';
export type { RunWasmOptions } from './run-wasm.js';
export type { ConsoleInput } from './platform/host-console.js';
export { Kernel, OSV_TS_VERSION } from './boot/kernel.js';
export type { Platform } from './boot/platform.js';
export { ModuleRegistry } from './boot/module-registry.js';
export { ExitStatus, runWasmApp } from './app/wasm-app.js';
export type { AppResult, WasmAppOptions } from './app/wasm-app.js';
export { JS_APP_CAPABILITY } from './app/js-app-runner.js';
export type { JsAppRunner, JsAppRunOptions } from './app/js-app-runner.js';
// The command-line parsers and the JS app format (also alone, as @osv-ts/kernel/cmdline).
export * from './cmdline.js';
export { BootFlag } from './platform/vm-platform.js';

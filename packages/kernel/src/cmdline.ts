// @osv-ts/kernel/cmdline: the kernel's command-line parsers and the JS app file format, alone —
// what a host tool (the osv CLI) checks before it boots anything, without loading the kernel.
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
export { JS_APP_HEADER, isJsApp } from './app/js-app-format.js';

// The linked JS app format (`osv run app.mjs` writes it, tools/osv/src/linker/js-app.ts): the
// JS_APP_HEADER line, then one CommonJS function body. Kept apart from the runner so the kernel
// can recognise a JS app without linking the js-app module (and its SES compartment).

/** First line of a linked JS app in the guest: the format tag and its version. */
export const JS_APP_HEADER = '//osv-ts:js-app 1\n';

const headerBytes = new TextEncoder().encode(JS_APP_HEADER);

/** Bytes of JS_APP_HEADER, for slicing the body off a program. */
export const JS_APP_HEADER_BYTES = headerBytes.length;

export function isJsApp(program: Uint8Array): boolean {
  if (program.length < headerBytes.length) return false;
  for (let i = 0; i < headerBytes.length; i++) if (program[i] !== headerBytes[i]) return false;
  return true;
}

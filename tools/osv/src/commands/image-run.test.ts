import { describe, expect, it } from 'vitest';
import { takeImageOption } from './image-run-options.js';

describe('takeImageOption', () => {
  it('finds -i among the options, wherever it stands before the app', () => {
    expect(takeImageOption(['-i', 'a.img', '-V'])).toEqual({ image: 'a.img', rest: ['-V'] });
    expect(takeImageOption(['-e', '/hello.wasm', '-i', 'a.img'])).toEqual({
      image: 'a.img',
      rest: ['-e', '/hello.wasm'],
    });
    expect(takeImageOption(['-m', '128M', '--image=a.img', '--dry-run'])).toEqual({
      image: 'a.img',
      rest: ['-m', '128M', '--dry-run'],
    });
  });

  it("leaves the app's own arguments alone", () => {
    expect(takeImageOption(['-V', 'app.wasm', '-i', 'x'])).toEqual({
      image: undefined,
      rest: ['-V', 'app.wasm', '-i', 'x'],
    });
    expect(takeImageOption(['--dry-run', 'app.wasm', '--image=x'])).toEqual({
      image: undefined,
      rest: ['--dry-run', 'app.wasm', '--image=x'],
    });
  });

  it('needs a value', () => {
    expect(() => takeImageOption(['-i'])).toThrow(/needs a value/);
  });
});

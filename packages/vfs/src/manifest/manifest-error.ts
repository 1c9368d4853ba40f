// A manifest line that cannot be taken as written: the message names the line (1-based), so a
// tool can print `usr.manifest:3: …` as compilers do.

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    /** 1-based line number in the manifest text (0 when no line is to blame). */
    readonly line: number,
    /** What is wrong, without the line number. */
    readonly detail: string,
  ) {
    super(line > 0 ? `line ${line}: ${detail}` : detail);
  }
}

/** Something the manifest asked for that is allowed but worth knowing (printed, not fatal). */
export interface ManifestWarning {
  readonly line: number;
  readonly message: string;
}

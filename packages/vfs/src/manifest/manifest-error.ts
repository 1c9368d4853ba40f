// A manifest line that cannot be taken as written: the message names the line (1-based), so a
// tool can print `usr.manifest:3: …` as compilers do.

export class ManifestError extends Error {
  override readonly name: string = 'ManifestError';
  constructor(
    /** 1-based line number in the manifest text (0 when no line is to blame). */
    readonly line: number,
    /** What is wrong, without the line number. */
    readonly detail: string,
  ) {
    super(line > 0 ? `line ${line}: ${detail}` : detail);
  }
}

/**
 * A well-formed line whose host source the host does not give: a path that does not exist, a
 * directory that cannot be listed, a file that cannot be read (or vanished, or turned into a
 * symlink, since the plan). The host's state is at fault, not the manifest's text, so a tool
 * may treat it as a failure rather than a usage mistake.
 */
export class ManifestSourceError extends ManifestError {
  override readonly name: string = 'ManifestSourceError';
}

/** Something the manifest asked for that is allowed but worth knowing (printed, not fatal). */
export interface ManifestWarning {
  readonly line: number;
  readonly message: string;
}

// Parses OSv's usr.manifest / bootfs.manifest text (scripts/manifest_common.py read_manifest;
// shared/reference/osv-manifest-and-build.md §1). Pure text processing: no host access.
//  - blank lines, lines whose first non-blank character is "#", and "[manifest]" are skipped;
//  - a line is "GUEST: HOST", split at the first ": " (further ": " cut the host path, as the
//    script's split(": ", 2) does); both sides are stripped;
//  - %(NAME)s in the host path is replaced from `defines` (Python %-formatting: "%%" is "%",
//    an unknown name or any other "%" is an error).
import { ManifestError } from './manifest-error.js';

export interface ManifestLine {
  readonly guest: string;
  readonly host: string;
  /** 1-based line number in the manifest text. */
  readonly line: number;
}

const skip = /^[ \t]*(|#.*|\[manifest\])$/;

export function parseManifest(text: string, defines: Readonly<Record<string, string>> = {}): ManifestLine[] {
  const out: ManifestLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.replace(/\s+$/, '');
    if (skip.test(line)) continue;
    const parts = line.split(': ');
    if (parts.length < 2) throw new ManifestError(i + 1, `no ": " separator in ${JSON.stringify(line)}`);
    out.push({ guest: parts[0]!.trim(), host: substituteDefines(parts[1]!.trim(), defines, i + 1), line: i + 1 });
  }
  return out;
}

/** Python's `host % defines` for the %(NAME)s form. */
export function substituteDefines(host: string, defines: Readonly<Record<string, string>>, line = 0): string {
  if (!host.includes('%')) return host;
  let out = '';
  for (let i = 0; i < host.length; i++) {
    const c = host[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    if (host[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    const m = /^%\(([^)]*)\)s/.exec(host.slice(i));
    if (!m) throw new ManifestError(line, `unsupported "%" format in ${JSON.stringify(host)}`);
    const value = defines[m[1]!];
    if (value === undefined) throw new ManifestError(line, `undefined variable ${m[1]} (pass it as a define)`);
    out += value;
    i += m[0].length - 1;
  }
  return out;
}

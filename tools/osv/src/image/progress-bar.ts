// A one-line progress bar on a terminal, or nothing when stderr is not one (logs stay clean).
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    if (!stream.isTTY || total === 0) return;
    const pct = Math.floor((done / total) * 100);
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    stream.write(
      `\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${pct}%${done === total ? '\n' : ''}`,
    );
  };
}

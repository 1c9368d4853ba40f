// Columns as OSv's CLI prints them (table_format): each column as wide as its widest cell plus
// one space, left-aligned; trailing spaces dropped.

export function tableFormat(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]! + 1))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

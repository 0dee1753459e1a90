// A plain text table for the terminal: columns padded to their widest cell, numbers right-aligned.

export function textTable(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const numeric = header.map(
    (_, c) => rows.length > 0 && rows.every((row) => /^[-−+]?[\d.,]+(e[-+]?\d+)?%?$|^$|^—$/.test(row[c] ?? '')),
  );
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

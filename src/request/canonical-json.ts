// Canonical JSON: object keys sorted at every depth, no whitespace, so equal content always gives equal text
// (and equal hashes) whatever order a user wrote a schema's keys in.

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    // undefined, functions and symbols have no JSON form; inside objects they are left out, as JSON.stringify does.
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => {
      const type = typeof (value as Record<string, unknown>)[key];
      return type !== 'undefined' && type !== 'function' && type !== 'symbol';
    })
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

// A prompt template compiled once: literal text and placeholders. `{{ column }}` inserts a cell;
// `{{ column | default: "n/a" }}` says what a null cell renders as (otherwise empty text). Cell values are
// inserted literally: a cell that contains `{{x}}` is never expanded again, because rendering is one pass over
// the compiled parts, never a search-and-replace over the result.

import { InputError } from '../job/input-error.js';

export interface Placeholder {
  readonly column: string;
  /** Text for a null or missing cell. */
  readonly fallback: string;
}

export interface Template {
  /** Literal strings at even positions, placeholders at odd ones: literal, placeholder, literal, ... */
  readonly parts: readonly (string | Placeholder)[];
  /** The distinct columns the template reads. */
  readonly columns: readonly string[];
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const FILTER = /^default\s*:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')$/;

export function compileTemplate(text: string, origin: string): Template {
  const parts: (string | Placeholder)[] = [];
  const columns = new Set<string>();
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, match.index));
    const placeholder = parsePlaceholder(match[1]!, origin);
    parts.push(placeholder);
    columns.add(placeholder.column);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return { parts, columns: [...columns] };
}

function parsePlaceholder(inner: string, origin: string): Placeholder {
  const [name, ...filters] = inner.split('|').map((s) => s.trim());
  if (!name) throw new InputError(`empty placeholder {{${inner}}} in ${origin}`);
  if (filters.length === 0) return { column: name, fallback: '' };
  const filter = FILTER.exec(filters.join('|'));
  if (!filter) {
    throw new InputError(
      `unknown filter in {{${inner}}} in ${origin}: the only filter is default, e.g. {{ ${name} | default: "n/a" }}`,
    );
  }
  const raw = filter[1] ?? filter[2] ?? '';
  return { column: name, fallback: raw.replace(/\\(.)/g, '$1') };
}

/** Fails before any call when the template names a column the table does not have. */
export function checkTemplateColumns(template: Template, columns: readonly string[], origin: string): void {
  const available = new Set(columns);
  const missing = template.columns.filter((c) => !available.has(c));
  if (missing.length > 0) {
    const names = missing.map((c) => `{{${c}}}`).join(', ');
    throw new InputError(
      `${origin} uses ${names}, but the input has no such column; columns are: ${columns.join(', ')}`,
    );
  }
}

/** The template as it was written, placeholders in their `{{ column }}` form (for reports). */
export function templateText(template: Template): string {
  return template.parts
    .map((part) =>
      typeof part === 'string'
        ? part
        : part.fallback === ''
          ? `{{${part.column}}}`
          : `{{${part.column} | default: ${JSON.stringify(part.fallback)}}}`,
    )
    .join('');
}

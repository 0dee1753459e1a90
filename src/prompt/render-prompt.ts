// Renders a compiled template against one row: the per-row hot path, so a single pass with no regex.

import type { Cell, Row } from '../table/read-table.js';
import type { Template } from './template.js';

export function renderTemplate(template: Template, row: Row): string {
  const parts = template.parts;
  let out = parts[0] as string;
  for (let i = 1; i < parts.length; i += 2) {
    const placeholder = parts[i] as Exclude<(typeof parts)[number], string>;
    const cell = row[placeholder.column];
    out += (cell === null || cell === undefined ? placeholder.fallback : cellText(cell)) + (parts[i + 1] as string);
  }
  return out;
}

/** A cell as prompt text: strings as they are, nested values as JSON. */
export function cellText(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'object') return JSON.stringify(cell);
  return String(cell);
}

// "Optional" in a user's schema and "nullable" on the wire mean the same answer: no value. OpenAI's strict mode
// needs every property required, so optional ones are sent as nullable; local validation accepts the same shape.

type Schema = Record<string, unknown>;

/** `{type: "string"}` becomes `{type: ["string", "null"]}`; other shapes gain a null branch. */
export function nullable(schema: Schema): Schema {
  const type = schema['type'];
  if (typeof type === 'string') {
    const out: Schema = { ...schema, type: [type, 'null'] };
    const values: unknown = schema['enum'];
    if (Array.isArray(values) && !values.includes(null)) out['enum'] = [...(values as unknown[]), null];
    return out;
  }
  if (Array.isArray(type))
    return type.includes('null') ? schema : { ...schema, type: [...(type as unknown[]), 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

/** The schema with every optional property of every object also accepting `null`. */
export function optionalAsNullable(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (isRecord(schema['properties'])) {
    const required = new Set(Array.isArray(schema['required']) ? (schema['required'] as string[]) : []);
    out['properties'] = Object.fromEntries(
      Object.entries(schema['properties']).map(([name, child]) => {
        const relaxed = isRecord(child) ? optionalAsNullable(child) : child;
        return [name, required.has(name) || !isRecord(relaxed) ? relaxed : nullable(relaxed)];
      }),
    );
  }
  if (isRecord(schema['items'])) out['items'] = optionalAsNullable(schema['items']);
  for (const key of ['$defs', 'definitions'] as const) {
    const defs = schema[key];
    if (isRecord(defs)) {
      out[key] = Object.fromEntries(
        Object.entries(defs).map(([name, child]) => [name, isRecord(child) ? optionalAsNullable(child) : child]),
      );
    }
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches: unknown = schema[key];
    if (Array.isArray(branches))
      out[key] = (branches as unknown[]).map((b) => (isRecord(b) ? optionalAsNullable(b) : b));
  }
  return out;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

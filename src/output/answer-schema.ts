// `--schema`: a JSON Schema file or inline JSON, checked and compiled once before the run. The root must be an
// object: its properties become the output's typed columns.

import { existsSync, readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import { InputError } from '../job/input-error.js';
import type { AnswerSchema } from '../providers/provider.js';
import { isRecord, optionalAsNullable } from './nullable-schema.js';

/** ajv-formats, loaded only for schemas that use `format` (it costs ~30 ms of start-up otherwise). */
function addFormats(ajv: Ajv): void {
  const formats = createRequire(import.meta.url)('ajv-formats') as { default: (ajv: Ajv) => Ajv };
  formats.default(ajv);
}

export interface CompiledSchema extends AnswerSchema {
  /** Validates a parsed answer; null for an optional field counts as absent. */
  readonly validate: ValidateFunction;
  /** Where the schema came from, for messages. */
  readonly origin: string;
}

/** Reads `--schema`: a path to a .json file, or the JSON itself. */
export function loadAnswerSchema(value: string): CompiledSchema {
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) return compileAnswerSchema(parseJson(trimmed, '--schema'), '--schema', 'answer');
  if (!existsSync(value)) throw new InputError(`schema file not found: ${value}`);
  const name = value.replace(/^.*\//, '').replace(/\.(schema\.)?json$/i, '');
  return compileAnswerSchema(parseJson(readFileSync(value, 'utf8'), value), value, name);
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`invalid JSON Schema in ${origin}: not JSON (${(error as Error).message})`);
  }
}

export function compileAnswerSchema(schema: unknown, origin: string, name: string): CompiledSchema {
  if (!isRecord(schema)) throw new InputError(`invalid JSON Schema in ${origin}: expected a JSON object`);
  const isObjectRoot =
    schema['type'] === 'object' && isRecord(schema['properties']) && Object.keys(schema['properties']).length > 0;
  if (!isObjectRoot) {
    throw new InputError(
      `invalid JSON Schema in ${origin}: the root must be {"type": "object", "properties": {...}} with at least one ` +
        `property (each property becomes an output column)`,
    );
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  if (JSON.stringify(schema).includes('"format"')) addFormats(ajv);
  let validate: ValidateFunction;
  try {
    ajv.compile(schema);
    validate = ajv.compile(optionalAsNullable(schema));
  } catch (error) {
    throw new InputError(`invalid JSON Schema in ${origin}: ${(error as Error).message}`);
  }
  // Provider tool and schema names allow [a-zA-Z0-9_-] only.
  const safeName = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'answer';
  return { name: safeName, jsonSchema: schema, validate, origin };
}

/** ajv's errors as one readable line: `/sentiment must be equal to one of: positive, negative`. */
export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return 'does not match the schema';
  return errors
    .slice(0, 5)
    .map((e) => {
      const where = e.instancePath || '(root)';
      const allowed =
        e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : '';
      return `${where} ${e.message ?? 'is invalid'}${allowed}`;
    })
    .join('; ');
}

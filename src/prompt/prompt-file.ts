// A prompt as the user writes it: optional YAML front matter (system, temperature, max_tokens, model) and a
// body with {{column}} placeholders. `--prompt` takes a file path or the text itself.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { InputError } from '../job/input-error.js';

const FrontMatter = z
  .object({
    system: z.string().optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    model: z.string().min(1).optional(),
  })
  .strict();

export type FrontMatter = z.infer<typeof FrontMatter>;

export interface PromptSource {
  /** Where it came from, for messages: the file path or `--prompt`. */
  readonly origin: string;
  readonly frontMatter: FrontMatter;
  readonly body: string;
}

/** Reads `--prompt`: a path to an existing file, or inline text. */
export function loadPromptSource(value: string): PromptSource {
  const looksLikePath = /^[^\s{}]+\.(md|txt|prompt|tmpl|j2|yaml|yml)$/i.test(value);
  if (existsSync(value) && looksLikePath) return parsePromptSource(readFileSync(value, 'utf8'), value);
  if (looksLikePath) throw new InputError(`prompt file not found: ${value}`);
  return parsePromptSource(value, '--prompt');
}

export function parsePromptSource(text: string, origin: string): PromptSource {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!match) return { origin, frontMatter: {}, body: text };
  let data: unknown;
  try {
    data = loadYaml().parse(match[1]!) ?? {};
  } catch (error) {
    throw new InputError(`invalid YAML front matter in ${origin}: ${(error as Error).message}`);
  }
  const parsed = FrontMatter.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'front matter'}: ${i.message}`).join('; ');
    throw new InputError(`invalid front matter in ${origin}: ${issues}`);
  }
  return { origin, frontMatter: parsed.data, body: text.slice(match[0].length) };
}

/** The YAML parser, loaded only for prompts with front matter (it costs ~30 ms of start-up otherwise). */
function loadYaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

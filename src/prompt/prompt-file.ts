// A prompt as the user writes it: optional YAML front matter (system, temperature, max_tokens, model, expect) and a
// body with {{column}} placeholders. `--prompt` takes a file path or the text itself.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { InputError } from '../job/input-error.js';

const FrontMatter = z
  .object({
    system: z.string().optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    model: z.string().min(1).optional(),
    /** Data checks over the input, run before anything is paid (see `--expect`): a rule, or a list of them. */
    expect: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
  })
  .strict();

export type FrontMatter = z.infer<typeof FrontMatter>;

export interface PromptSource {
  /** Where it came from, for messages: the file path or `--prompt`. */
  readonly origin: string;
  readonly frontMatter: FrontMatter;
  readonly body: string;
}

/** The extensions a prompt file is recognised by. */
const PROMPT_EXTENSIONS = ['md', 'txt', 'prompt', 'tmpl', 'j2', 'yaml', 'yml'];
const PROMPT_FILE = new RegExp(`\\.(${PROMPT_EXTENSIONS.join('|')})$`, 'i');

/**
 * Reads `--prompt` (or `--judge-prompt`, named by `flag`): a path to an existing file, or inline text. A value that
 * would be sent as a literal prompt but reads like a file name (a path, a known extension, or a name beside which
 * `name.md` exists) is refused: it is almost always a typo, and sending it would answer every row with one
 * answer to the file's name.
 */
export function loadPromptSource(value: string, flag = '--prompt'): PromptSource {
  const oneLine = !/[\r\n]/.test(value) && !value.includes('{{');
  const oneToken = oneLine && !/\s/.test(value);
  if ((oneToken || (oneLine && PROMPT_FILE.test(value))) && existsSync(value)) {
    if (statSync(value).isDirectory()) throw new InputError(`${flag} ${value} is a directory: name the prompt file`);
    return parsePromptSource(readFileSync(value, 'utf8'), value);
  }
  if (oneToken) {
    const nearby = promptFilesLike(value);
    const hint = nearby.length > 0 ? ` (did you mean ${nearby.join(' or ')}?)` : '';
    if (PROMPT_FILE.test(value)) throw new InputError(`prompt file not found: ${value}${hint}`);
    if (nearby.length > 0 || looksLikePath(value)) {
      throw new InputError(
        `${flag} ${value}: no such file${hint}. An inline prompt inserts the row's columns as {{column}}; ` +
          'this one has none, so every row would get the same answer',
      );
    }
  }
  return parsePromptSource(value, flag);
}

/** `dir/name`, `./name`, `~/name`, `name.ext`: what a person types when they mean a file. */
function looksLikePath(value: string): boolean {
  return /[/\\]/.test(value) || value.startsWith('~') || /\.[A-Za-z][A-Za-z0-9]{0,9}$/.test(value);
}

/** Existing prompt files with the value's name and a prompt extension: `triage` → `triage.md`. */
function promptFilesLike(value: string): string[] {
  const stem = value.replace(PROMPT_FILE, '');
  return PROMPT_EXTENSIONS.map((ext) => `${stem}.${ext}`).filter(
    (path) => path !== value && existsSync(path) && statSync(path).isFile(),
  );
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

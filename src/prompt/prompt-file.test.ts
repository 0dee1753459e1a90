import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadPromptSource } from './prompt-file.js';

const dir = mkdtempSync(join(tmpdir(), 'llmap-prompt-'));
writeFileSync(join(dir, 'triage.md'), '---\ntemperature: 0\n---\nTriage: {{body}}\n');
writeFileSync(join(dir, 'rubric'), 'Score the answer {{answer}} from 1 to 5.\n');
writeFileSync(join(dir, 'my prompt.txt'), 'Summarise {{body}}\n');
mkdirSync(join(dir, 'prompts'));

describe('--prompt: a file or the text itself', () => {
  test('a path to a prompt file is read, front matter and all', () => {
    const source = loadPromptSource(join(dir, 'triage.md'));
    assert.deepEqual(source, {
      origin: join(dir, 'triage.md'),
      frontMatter: { temperature: 0 },
      body: 'Triage: {{body}}\n',
    });
  });

  test('an existing file is read whatever its extension, and a prompt file whose path has spaces too', () => {
    assert.equal(loadPromptSource(join(dir, 'rubric')).body, 'Score the answer {{answer}} from 1 to 5.\n');
    assert.equal(loadPromptSource(join(dir, 'my prompt.txt')).body, 'Summarise {{body}}\n');
  });

  test('text is the prompt: with placeholders, or words without them', () => {
    assert.equal(loadPromptSource('Classify {{body}}').origin, '--prompt');
    assert.equal(loadPromptSource(`${dir}/{{body}}`).body, `${dir}/{{body}}`);
    assert.equal(loadPromptSource('Write a haiku about the sea').body, 'Write a haiku about the sea');
    assert.equal(loadPromptSource('Hello').body, 'Hello');
  });

  test('a file named without its extension is an error that names the file meant', () => {
    assert.throws(
      () => loadPromptSource(join(dir, 'triage')),
      (error: Error) =>
        error.message ===
        `--prompt ${join(dir, 'triage')}: no such file (did you mean ${join(dir, 'triage.md')}?). An inline prompt ` +
          "inserts the row's columns as {{column}}; this one has none, so every row would get the same answer",
    );
  });

  test('a value shaped like a path that names no file is an error, named by its flag', () => {
    assert.throws(
      () => loadPromptSource('prompts/classify'),
      /^InputError: --prompt prompts\/classify: no such file\./,
    );
    assert.throws(() => loadPromptSource('~/triage'), /--prompt ~\/triage: no such file/);
    assert.throws(
      () => loadPromptSource('rubric.jinja', '--judge-prompt'),
      /^InputError: --judge-prompt rubric\.jinja/,
    );
    assert.throws(() => loadPromptSource(join(dir, 'missing.md')), /prompt file not found: .*missing\.md$/);
  });

  test('a directory is not a prompt', () => {
    assert.throws(() => loadPromptSource(join(dir, 'prompts')), /--prompt .*prompts is a directory/);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../job/input-error.js';
import { parsePromptSource } from './prompt-file.js';
import { renderTemplate } from './render-prompt.js';
import { checkTemplateColumns, compileTemplate } from './template.js';

describe('prompt templates', () => {
  test('placeholders are replaced by the row cells, spaces inside braces allowed', () => {
    const template = compileTemplate('Review by {{ author }}: {{text}}', 'test');
    assert.equal(renderTemplate(template, { author: 'Ann', text: 'Great' }), 'Review by Ann: Great');
    assert.deepEqual(template.columns, ['author', 'text']);
  });

  test('a cell containing {{x}} is inserted literally, never expanded again', () => {
    const template = compileTemplate('A: {{a}} B: {{b}}', 'test');
    assert.equal(renderTemplate(template, { a: '{{b}}', b: 'secret' }), 'A: {{b}} B: secret');
  });

  test('nulls render as empty text unless the template gives a default', () => {
    const template = compileTemplate('[{{a}}] [{{ b | default: "n/a" }}]', 'test');
    assert.equal(renderTemplate(template, { a: null, b: null }), '[] [n/a]');
    assert.equal(renderTemplate(template, { a: 'x', b: 'y' }), '[x] [y]');
  });

  test('numbers, booleans and nested values render as text and JSON', () => {
    const template = compileTemplate('{{n}} {{b}} {{o}}', 'test');
    assert.equal(renderTemplate(template, { n: 3.5, b: true, o: { k: [1, 2] } }), '3.5 true {"k":[1,2]}');
  });

  test('a placeholder naming no column is an error that lists the columns that exist', () => {
    const template = compileTemplate('{{text}} {{stars}}', 'prompt.md');
    assert.throws(
      () => checkTemplateColumns(template, ['id', 'text'], 'prompt.md'),
      (error: unknown) =>
        InputError.isInstance(error) &&
        error.message === 'prompt.md uses {{stars}}, but the input has no such column; columns are: id, text',
    );
  });

  test('an unknown filter is an input error', () => {
    assert.throws(() => compileTemplate('{{a | upper}}', 'p.md'), /unknown filter in \{\{a \| upper\}\} in p\.md/);
  });

  test('front matter sets system, temperature, max_tokens and model', () => {
    const source = parsePromptSource(
      '---\nsystem: Be brief.\ntemperature: 0.2\nmax_tokens: 50\nmodel: openai:m\n---\nHi {{x}}',
      'p.md',
    );
    assert.deepEqual(source.frontMatter, { system: 'Be brief.', temperature: 0.2, max_tokens: 50, model: 'openai:m' });
    assert.equal(source.body, 'Hi {{x}}');
  });

  test('an unknown front matter key is an error naming the file', () => {
    assert.throws(() => parsePromptSource('---\ntemprature: 1\n---\nHi', 'p.md'), /invalid front matter in p\.md/);
  });

  test('text without front matter is all body', () => {
    assert.deepEqual(parsePromptSource('Hello {{name}}', '--prompt'), {
      origin: '--prompt',
      frontMatter: {},
      body: 'Hello {{name}}',
    });
  });
});

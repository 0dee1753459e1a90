// The baseline for the local-model benchmark: node-llama-cpp as a user first writes it, one row at a time. One
// context with one sequence, the answer schema as a grammar, a completion per row, the answers written as JSON
// lines. Same model, threads, prompt and token limit as the llmap runs it is compared with.
// Usage: node llama-loop.js <model.gguf> <rows.csv> <schema.json> <out.jsonl> <threads> <maxTokens>

import { readFileSync, writeFileSync } from 'node:fs';
import { getLlama, LlamaCompletion } from 'node-llama-cpp';

const [modelPath, csvPath, schemaPath, outPath, threads, maxTokens] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const llama = await getLlama({ gpu: false, build: 'never' });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({ threads: Number(threads), contextSize: 2048 });
const sequence = context.getSequence();
const completion = new LlamaCompletion({ contextSequence: sequence });
const grammar = await llama.createGrammarForJsonSchema(JSON.parse(readFileSync(schemaPath, 'utf8')) as never);

const lines = readFileSync(csvPath, 'utf8').trim().split('\n').slice(1);
const out: string[] = [];
const started = performance.now();
for (const line of lines) {
  const comma = line.indexOf(',');
  const text = line.slice(comma + 1);
  const answer = await completion.generateCompletion(`Story: ${text}`, { grammar, maxTokens: Number(maxTokens) });
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(answer);
  } catch {
    // a cut-off answer: recorded as null
  }
  out.push(JSON.stringify({ id: line.slice(0, comma), answer: parsed }));
}
writeFileSync(outPath, out.join('\n') + '\n');
const generationSeconds = (performance.now() - started) / 1000;
process.stderr.write(JSON.stringify({ outputTokens: sequence.tokenMeter.usedOutputTokens, generationSeconds }) + '\n');
await context.dispose();

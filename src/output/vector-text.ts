// An embedding as text: little-endian float32 in base64, the form OpenAI sends with `encoding_format: base64`. It is
// how a vector travels through the answer path (cache, ledger, dedupe) until the sink writes it as a FLOAT[] column:
// a quarter of the bytes of JSON numbers, and exact.

export function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer, 0, copy.length >> 2);
}

export function toBase64(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

// Test fixture: a copy of a GGUF model with a chat template added to its metadata. The test model
// (stories260K) has none, so this is how the tests reach the chat-template path with a real model. GGUF v3: header,
// key/value metadata, tensor infos, padding to the alignment, tensor data (offsets relative to the data start).

import { readFileSync, writeFileSync } from 'node:fs';

const STRING = 8;
const ARRAY = 9;
const FIXED_SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** ChatML, the format most instruction-tuned GGUF models ship with. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export function writeWithChatTemplate(source: string, target: string, template = CHATML_TEMPLATE): void {
  const file = readFileSync(source);
  if (file.toString('latin1', 0, 4) !== 'GGUF' || file.readUInt32LE(4) !== 3) throw new Error(`${source}: not GGUF v3`);
  const tensorCount = Number(file.readBigUInt64LE(8));
  const kvCount = Number(file.readBigUInt64LE(16));
  let at = 24;
  const skipString = () => {
    at += 8 + Number(file.readBigUInt64LE(at));
  };
  const skipValue = (type: number): void => {
    if (type === STRING) return skipString();
    if (type === ARRAY) {
      const itemType = file.readUInt32LE(at);
      const count = Number(file.readBigUInt64LE(at + 4));
      at += 12;
      for (let i = 0; i < count; i++) skipValue(itemType);
      return;
    }
    const size = FIXED_SIZES[type];
    if (size === undefined) throw new Error(`unknown GGUF value type ${type}`);
    at += size;
  };
  let alignment = 32;
  for (let i = 0; i < kvCount; i++) {
    const keyLength = Number(file.readBigUInt64LE(at));
    const key = file.toString('utf8', at + 8, at + 8 + keyLength);
    at += 8 + keyLength;
    const type = file.readUInt32LE(at);
    at += 4;
    if (key === 'general.alignment') alignment = file.readUInt32LE(at);
    if (key === 'tokenizer.chat_template') throw new Error(`${source} already has a chat template`);
    skipValue(type);
  }
  const kvEnd = at;
  for (let i = 0; i < tensorCount; i++) {
    skipString();
    const dims = file.readUInt32LE(at);
    at += 4 + dims * 8 + 4 + 8;
  }
  const infoEnd = at;
  const dataStart = Math.ceil(infoEnd / alignment) * alignment;

  const key = Buffer.from('tokenizer.chat_template');
  const value = Buffer.from(template);
  const entry = Buffer.alloc(8 + key.length + 4 + 8 + value.length);
  entry.writeBigUInt64LE(BigInt(key.length), 0);
  key.copy(entry, 8);
  entry.writeUInt32LE(STRING, 8 + key.length);
  entry.writeBigUInt64LE(BigInt(value.length), 12 + key.length);
  value.copy(entry, 20 + key.length);

  const header = Buffer.from(file.subarray(0, 24));
  header.writeBigUInt64LE(BigInt(kvCount + 1), 16);
  const beforeData = Buffer.concat([header, file.subarray(24, kvEnd), entry, file.subarray(kvEnd, infoEnd)]);
  const padding = Buffer.alloc(Math.ceil(beforeData.length / alignment) * alignment - beforeData.length);
  writeFileSync(target, Buffer.concat([beforeData, padding, file.subarray(dataStart)]));
}

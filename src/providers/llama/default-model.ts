// The model llmap runs when none is given (no --model, no `model:` in the prompt, no LLMAP_MODEL): a small
// instruction-tuned model that follows a JSON schema well for its size, downloaded once into the cache directory.
//
// Qwen2.5-1.5B-Instruct, Q4_K_M quantization (Alibaba's Qwen team, Apache-2.0 licence), about 1.1 GB, 32k-token
// training context, with a chat template. Chosen for quality per megabyte: the 0.5B model is a third of the size
// but far weaker at extraction, and 3B-class models double the download for a smaller gain. (Figures from the
// model card; this machine has no network to check them.)

export const DEFAULT_LOCAL_MODEL = 'hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M';

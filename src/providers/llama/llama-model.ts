// A GGUF model inside this process, through node-llama-cpp: the file is found (or downloaded once into llmap's
// cache), the engine and the weights are loaded once per process and shared by every provider that asks for the
// same file, and every failure on the way becomes a LocalModelError that says what to do.

import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Llama, LlamaModel } from 'node-llama-cpp';
import { InputError } from '../../job/input-error.js';

export interface LocalModelSettings {
  /** A path to a `.gguf` file, or a URI node-llama-cpp resolves (`hf:owner/repo:quant`, `https://…`). */
  readonly model: string;
  /** `auto`: a GPU when the engine finds one; `off`: CPU only. */
  readonly gpu: 'auto' | 'off';
  /** Where downloaded models are kept. */
  readonly modelsDir: string;
  /** A Hugging Face mirror (`HF_ENDPOINT`), for downloads. */
  readonly hfEndpoint?: string;
  /** Download progress, in bytes. */
  readonly onDownload?: (downloaded: number, total: number) => void;
}

export interface LoadedModel {
  readonly llama: Llama;
  readonly model: LlamaModel;
  /** The file's name, reported as the answering model. */
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  readonly gpu: string | false;
}

/** The model could not be found, fetched or loaded: the run cannot start (nothing was asked); exit 2. */
export class LocalModelError extends InputError {
  override readonly name = 'LocalModelError';
}

const loaded = new Map<string, Promise<LoadedModel>>();

/** Loads a model once per process; later calls for the same file and GPU setting share it. */
export function loadLocalModel(settings: LocalModelSettings): Promise<LoadedModel> {
  const id = `${settings.gpu}\u0000${settings.model}`;
  let model = loaded.get(id);
  if (!model) {
    model = load(settings);
    loaded.set(id, model);
    model.catch(() => loaded.delete(id));
  }
  return model;
}

/** Tokens of context when the user gives none: the model's training context, at most this. */
const DEFAULT_CONTEXT_SIZE = 4096;

export function defaultContextSize(loaded: LoadedModel): number {
  return Math.min(loaded.model.trainContextSize, DEFAULT_CONTEXT_SIZE);
}

/** `local model stories260K.gguf (1.2 MB, llama) on CPU`, for the run's notes. */
export function describeModel(loaded: LoadedModel): string {
  const where = loaded.gpu === false ? 'CPU' : `GPU (${loaded.gpu})`;
  const architecture = loaded.model.fileInfo.metadata.general.architecture;
  return `local model ${loaded.name} (${(loaded.bytes / 1e6).toFixed(1)} MB, ${architecture}) on ${where}`;
}

/** `1 thread`, `8 sequences`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** node-llama-cpp's module, loaded on first use: runs against hosted APIs never pay for it. */
export function nodeLlamaCpp(): Promise<typeof import('node-llama-cpp')> {
  return import('node-llama-cpp');
}

/** URIs node-llama-cpp downloads; anything else is a file path. */
export function isModelUri(model: string): boolean {
  return /^(hf:|huggingface:|https?:\/\/)/.test(model);
}

async function load(settings: LocalModelSettings): Promise<LoadedModel> {
  const path = await modelFile(settings);
  const { getLlama, LlamaLogLevel } = await nodeLlamaCpp();
  let llama: Llama;
  try {
    llama = await getLlama({
      gpu: settings.gpu === 'off' ? false : 'auto',
      // Only the binaries shipped in the npm packages: never a download or a source build at run time.
      build: 'never',
      progressLogs: false,
      logLevel: LlamaLogLevel.error,
      logger: (level, message) => {
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal)
          process.stderr.write(`llama.cpp: ${message}\n`);
      },
    });
  } catch (error) {
    throw new LocalModelError(`the llama.cpp engine could not start on this machine: ${messageOf(error)}`);
  }
  try {
    const model = await llama.loadModel({ modelPath: path, ...(settings.gpu === 'off' ? { gpuLayers: 0 } : {}) });
    return { llama, model, name: basename(path), path, bytes: statSync(path).size, gpu: llama.gpu };
  } catch (error) {
    const reason = messageOf(error);
    const hint = /memory|alloc|VRAM|RAM/i.test(reason)
      ? ' It does not fit in memory: choose a smaller model or quantization' +
        (settings.gpu === 'off' ? '.' : ', or --gpu off.')
      : ' Is it a complete GGUF file? (A download cut short, or another format, cannot load.)';
    throw new LocalModelError(`cannot load the model ${path}: ${reason}.${hint}`);
  }
}

async function modelFile(settings: LocalModelSettings): Promise<string> {
  if (!isModelUri(settings.model)) {
    const path = resolve(settings.model);
    if (!existsSync(path)) throw new LocalModelError(`model file ${settings.model} does not exist`);
    return path;
  }
  const { resolveModelFile } = await nodeLlamaCpp();
  try {
    return await resolveModelFile(settings.model, {
      directory: settings.modelsDir,
      cli: false,
      ...(settings.hfEndpoint ? { endpoints: { huggingFace: settings.hfEndpoint } } : {}),
      ...(settings.onDownload
        ? { onProgress: ({ downloadedSize, totalSize }) => settings.onDownload?.(downloadedSize, totalSize) }
        : {}),
    });
  } catch (error) {
    throw new LocalModelError(
      `cannot download ${settings.model} into ${settings.modelsDir}: ${messageOf(error)}. Without a network, pass ` +
        `--model llama:path/to/model.gguf (or set LLMAP_MODEL=llama:path/to/model.gguf)`,
    );
  }
}

export function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
}

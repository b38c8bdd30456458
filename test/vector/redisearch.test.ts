// The redisearch engine: exact FT.CREATE / FT.SEARCH arguments and RESP3 reply parsing as pure units,
// the engine itself only on real servers (no module: refusal; REDISEARCH_URL: conformance). Never a mock of Redis.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnsupportedServerError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { RediSearchIndex } from '../../src/vector/engines/redisearch.js';
import { buildCreateIndexArgs, buildDropIndexArgs, indexName } from '../../src/vector/engines/redisearch/index-lifecycle.js';
import { DISTANCE_FIELD, buildKnnSearchArgs } from '../../src/vector/engines/redisearch/query.js';
import { parseSearchReply } from '../../src/vector/engines/redisearch/replies.js';
import { encodeTag, type Filter } from '../../src/vector/filter.js';
import { scoreFromDistance } from '../../src/vector/items.js';
import { IndexDefinitionSchema, type IndexDefinition, type Metric } from '../../src/vector/types.js';
import { connectTo, deletePrefix, targets, uniquePrefix } from '../harness/index.js';
import { runConformance } from './conformance.js';

const TOKEN = Buffer.from('{acme:alice}').toString('hex'); // 7b61636d653a616c6963657d
const VEC = Buffer.from(new Float32Array([1, 0, 0, 0]).buffer);
const KEY = (id: string) => `am:ltm:memories:{acme:alice}:i:${id}`;

describe('index name', () => {
  it('puts the index under the key prefix, one per namespace', () => {
    expect(indexName(new Keyspace('am'), 'memories')).toBe('am:idx:memories');
    expect(indexName(new Keyspace('t1.app'), 'semantic-cache')).toBe('t1.app:idx:semantic-cache');
  });
});

describe('buildCreateIndexArgs', () => {
  it.each<[string, IndexDefinition, string[]]>([
    [
      'HNSW, cosine, defaults, tag and numeric fields',
      { namespace: 'memories', dim: 4, fields: { lang: 'tag', year: 'numeric' } },
      [
        'FT.CREATE',
        'am:idx:memories',
        'ON',
        'HASH',
        'PREFIX',
        '1',
        'am:ltm:memories:',
        'SCHEMA',
        '_scope',
        'TAG',
        'v',
        'VECTOR',
        'HNSW',
        '12',
        'TYPE',
        'FLOAT32',
        'DIM',
        '4',
        'DISTANCE_METRIC',
        'COSINE',
        'M',
        '16',
        'EF_CONSTRUCTION',
        '200',
        'EF_RUNTIME',
        '200',
        't_lang',
        'TAG',
        'SEPARATOR',
        '|',
        'n_year',
        'NUMERIC',
      ],
    ],
    [
      'FLAT, L2, no fields (FLAT takes no graph parameters)',
      { namespace: 'memories', dim: 1536, metric: 'l2', algorithm: 'flat', m: 32 },
      [
        'FT.CREATE',
        'am:idx:memories',
        'ON',
        'HASH',
        'PREFIX',
        '1',
        'am:ltm:memories:',
        'SCHEMA',
        '_scope',
        'TAG',
        'v',
        'VECTOR',
        'FLAT',
        '6',
        'TYPE',
        'FLOAT32',
        'DIM',
        '1536',
        'DISTANCE_METRIC',
        'L2',
      ],
    ],
    [
      'HNSW, inner product, tuned graph, fields in declaration order',
      {
        namespace: 'memories',
        dim: 8,
        metric: 'ip',
        m: 32,
        efConstruction: 400,
        efRuntime: 50,
        fields: { score: 'numeric', topic: 'tag', lang: 'tag' },
      },
      [
        'FT.CREATE',
        'am:idx:memories',
        'ON',
        'HASH',
        'PREFIX',
        '1',
        'am:ltm:memories:',
        'SCHEMA',
        '_scope',
        'TAG',
        'v',
        'VECTOR',
        'HNSW',
        '12',
        'TYPE',
        'FLOAT32',
        'DIM',
        '8',
        'DISTANCE_METRIC',
        'IP',
        'M',
        '32',
        'EF_CONSTRUCTION',
        '400',
        'EF_RUNTIME',
        '50',
        'n_score',
        'NUMERIC',
        't_topic',
        'TAG',
        'SEPARATOR',
        '|',
        't_lang',
        'TAG',
        'SEPARATOR',
        '|',
      ],
    ],
  ])('%s', (_, definition, expected) => {
    expect(buildCreateIndexArgs(IndexDefinitionSchema.parse(definition), 'am:idx:memories', 'am:ltm:memories:')).toEqual(expected);
  });

  it('never indexes the payload', () => {
    const args = buildCreateIndexArgs(IndexDefinitionSchema.parse({ namespace: 'n', dim: 2, fields: { lang: 'tag' } }), 'i', 'p:');
    expect(args).not.toContain('p');
  });
});

describe('buildKnnSearchArgs', () => {
  const tail = (k: string) => ['RETURN', '2', 'p', '__score', 'SORTBY', '__score', 'ASC', 'LIMIT', '0', k, 'DIALECT', '2'];

  it.each<[string, Filter | undefined, number, number | undefined, unknown[]]>([
    [
      'HNSW, scope only',
      undefined,
      5,
      200,
      [
        'FT.SEARCH',
        'am:idx:memories',
        `(@_scope:{${TOKEN}})=>[KNN $k @v $vec EF_RUNTIME $ef AS __score]`,
        'PARAMS',
        '6',
        'k',
        '5',
        'vec',
        VEC,
        'ef',
        '200',
        ...tail('5'),
      ],
    ],
    [
      'HNSW, scope and a tag filter',
      { field: 'lang', eq: 'en' },
      10,
      64,
      [
        'FT.SEARCH',
        'am:idx:memories',
        `(@_scope:{${TOKEN}} @t_lang:{656e})=>[KNN $k @v $vec EF_RUNTIME $ef AS __score]`,
        'PARAMS',
        '6',
        'k',
        '10',
        'vec',
        VEC,
        'ef',
        '64',
        ...tail('10'),
      ],
    ],
    [
      'FLAT (no EF_RUNTIME), and / or / not with a range',
      {
        and: [
          {
            or: [
              { field: 'lang', eq: 'en' },
              { field: 'lang', eq: 'fr' },
            ],
          },
          { not: { field: 'year', lt: 2020 } },
        ],
      },
      3,
      undefined,
      [
        'FT.SEARCH',
        'am:idx:memories',
        `(@_scope:{${TOKEN}} ((@t_lang:{656e} | @t_lang:{6672}) (-@n_year:[-inf (2020])))=>[KNN $k @v $vec AS __score]`,
        'PARAMS',
        '4',
        'k',
        '3',
        'vec',
        VEC,
        ...tail('3'),
      ],
    ],
    [
      'hostile tag values stay hex',
      { field: 'lang', in: ['} | @_scope:{*', ')=>[KNN 100 @v $vec]'] },
      1,
      10,
      [
        'FT.SEARCH',
        'am:idx:memories',
        `(@_scope:{${TOKEN}} @t_lang:{${encodeTag('} | @_scope:{*')} | ${encodeTag(')=>[KNN 100 @v $vec]')}})=>[KNN $k @v $vec EF_RUNTIME $ef AS __score]`,
        'PARAMS',
        '6',
        'k',
        '1',
        'vec',
        VEC,
        'ef',
        '10',
        ...tail('1'),
      ],
    ],
  ])('%s', (_, filter, k, ef, expected) => {
    expect(buildKnnSearchArgs('am:idx:memories', TOKEN, filter, k, ef, VEC)).toEqual(expected);
  });

  it('returns the vector field too when asked withVectors', () => {
    const args = buildKnnSearchArgs('am:idx:memories', TOKEN, undefined, 2, undefined, VEC, true);
    expect(args.slice(args.indexOf('RETURN'), args.indexOf('SORTBY'))).toEqual(['RETURN', '3', 'p', '__score', 'v']);
  });

  it('refuses a scope token that is not lowercase hex', () => {
    expect(() => buildKnnSearchArgs('i', '} | *', undefined, 1, undefined, VEC)).toThrow(InvalidArgumentError);
    expect(() => buildKnnSearchArgs('i', '', undefined, 1, undefined, VEC)).toThrow(InvalidArgumentError);
    expect(() => buildKnnSearchArgs('i', 'ABCD', undefined, 1, undefined, VEC)).toThrow(InvalidArgumentError);
  });

  it('no tag value, however hostile, leaves hex or escapes the scope (property-based)', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.constantFrom('}', '|', '@', '"', '\\', '*', '-', ')', '=>', '} | @_scope:{', '\u0000', '🙂'),
    );
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (values) => {
        const query = buildKnnSearchArgs('i', TOKEN, { field: 'lang', in: values }, 3, 10, VEC)[2] as string;
        expect(query).toBe(
          `(@_scope:{${TOKEN}} @t_lang:{${values.map(encodeTag).join(' | ')}})=>[KNN $k @v $vec EF_RUNTIME $ef AS __score]`,
        );
        for (const group of query.match(/\{[^}]*\}/g) ?? []) expect(group).toMatch(/^\{[0-9a-f]*( \| [0-9a-f]*)*\}$/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('buildDropIndexArgs', () => {
  it('drops the index and never the documents (no DD: the items are dropScope’s)', () => {
    expect(buildDropIndexArgs('am:idx:m')).toEqual(['FT.DROPINDEX', 'am:idx:m']);
  });
});

/** An FT.SEARCH reply as RediSearch documents it in RESP3 and node-redis decodes it (maps as objects). */
const reply = (results: unknown[]) => ({ attributes: [], warning: [], total_results: results.length, format: 'STRING', results });
const row = (id: unknown, extra: Record<string, unknown>) => ({ id, extra_attributes: extra, values: [] });

describe('parseSearchReply (RESP3)', () => {
  it.each<[string, unknown, Metric, { id: string; score: number; payload: string }[]]>([
    ['empty', reply([]), 'cosine', []],
    [
      'two hits in server order',
      reply([row(KEY('m7'), { p: '"seven"', __score: '0' }), row(KEY('m3'), { __score: '0.5', p: '"three"' })]),
      'cosine',
      [
        { id: 'm7', score: 1, payload: '"seven"' },
        { id: 'm3', score: 0.75, payload: '"three"' },
      ],
    ],
    [
      'a document that expired while read (a row without extra_attributes) is left out, still counted in total',
      reply([{ id: KEY('gone'), values: [] }, row(KEY('m1'), { p: 'x', __score: '2' })]),
      'cosine',
      [{ id: 'm1', score: 0, payload: 'x' }],
    ],
    [
      'read as Buffers: keys stay strings (node-redis decodes map keys as text), values are Buffers',
      reply([row(Buffer.from(KEY('m1')), { p: Buffer.from('ü'), __score: Buffer.from('1') })]),
      'cosine',
      [{ id: 'm1', score: 0.5, payload: 'ü' }],
    ],
    [
      'a sortkey beside the attributes changes nothing',
      reply([{ id: KEY('m2'), sortkey: '#0.1', extra_attributes: { p: 'two', __score: '0.1' }, values: [] }]),
      'ip',
      [{ id: 'm2', score: 0.9, payload: 'two' }],
    ],
    [
      'a key that is not an item is left out',
      reply([row('am:ltm:memories:{acme:alice}:ids', { p: 'x', __score: '0' }), row(KEY('ok'), { p: 'y', __score: '0' })]),
      'cosine',
      [{ id: 'ok', score: 1, payload: 'y' }],
    ],
    [
      'an id is what follows the last :i: (scope parts may spell i)',
      reply([row('am:ltm:memories:{t:i:x}:i:m9', { p: 'z', __score: '0' })]),
      'cosine',
      [{ id: 'm9', score: 1, payload: 'z' }],
    ],
  ])('%s', (_, input, metric, expected) => {
    expect(parseSearchReply(input, metric)).toEqual(expected);
  });

  it('decodes a returned vector field (read as Buffers) into the hit', () => {
    const input = reply([
      row(Buffer.from(KEY('m1')), { p: Buffer.from('x'), __score: Buffer.from('0'), v: Buffer.from(new Float32Array([0.5, -2]).buffer) }),
    ]);
    expect(parseSearchReply(input, 'cosine')).toEqual([{ id: 'm1', score: 1, payload: 'x', vector: [0.5, -2] }]);
  });

  it.each<[Metric, string, number]>([
    ['cosine', '0', 1],
    ['cosine', '1', 0.5],
    ['cosine', '2', 0],
    ['ip', '0.25', 0.75],
    ['ip', '-1.5', 2.5],
    ['l2', '0', 1],
    ['l2', '9', 0.25], // RediSearch L2 is squared: euclidean 3
  ])('%s distance %s scores %d', (metric, distance, score) => {
    const [hit] = parseSearchReply(reply([row(KEY('a'), { p: '', [DISTANCE_FIELD]: distance })]), metric);
    expect(hit?.score).toBeCloseTo(score, 12);
    expect(hit?.score).toBe(scoreFromDistance(metric, Number(distance)));
  });

  it('returns no hits for replies of no known shape (a RESP2 flat array included)', () => {
    expect(parseSearchReply(null, 'cosine')).toEqual([]);
    expect(parseSearchReply('OK', 'cosine')).toEqual([]);
    expect(parseSearchReply({ total_results: 1 }, 'cosine')).toEqual([]);
    expect(parseSearchReply([1, KEY('m1'), ['p', 'x', '__score', '0']], 'cosine')).toEqual([]);
  });
});

describe('on a server without the search module', () => {
  for (const target of targets()) {
    it(`refuses with UnsupportedServerError and stores no definition (${target.name})`, async (context) => {
      const connection = await connectTo(target);
      const prefix = uniquePrefix('rs');
      try {
        const [info] = await connection.send<unknown[]>(['COMMAND', 'INFO', 'FT.INFO']);
        if (info) return context.skip('this server has the search module');
        const keyspace = new Keyspace(prefix);
        const index = new RediSearchIndex(connection, keyspace, IndexDefinitionSchema.parse({ namespace: 'm', dim: 4 }));
        const refusal = index.ensure();
        await expect(refusal).rejects.toBeInstanceOf(UnsupportedServerError);
        await expect(refusal).rejects.toThrow(/Redis Query Engine.*FT\.INFO.*vectorset or flat engine/);
        expect(await connection.send(['EXISTS', keyspace.vector('m').definition])).toBe(0);
      } finally {
        await deletePrefix(connection, prefix);
        await connection.close();
      }
    });
  }
});

const url = process.env.REDISEARCH_URL;
if (url) {
  runConformance(
    'redisearch',
    { name: 'redisearch', url, version: null },
    (c, k, d) => new RediSearchIndex(c, k, IndexDefinitionSchema.parse(d)),
  );
} else {
  describe.skip('VectorIndex conformance: redisearch (set REDISEARCH_URL to a server with the search module)', () => {
    it('runs against a real RediSearch only', () => undefined);
  });
}

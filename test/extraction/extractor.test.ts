// The check of what an extractor returns (a bad reply is a typed error naming every bad field),
// the deterministic ids of extracted memories, and the strategies' own validation.
import { describe, expect, it } from 'vitest';
import { AgentMemoryError, InvalidArgumentError } from '../../src/errors.js';
import { checkExtracted, extractionId, type ExtractionInput, type Extractor, runExtractor } from '../../src/extraction/extractor.js';
import { customStrategy, factsStrategy, resolveStrategies } from '../../src/extraction/strategies.js';
import { KeyPartSchema } from '../../src/keys.js';
import type { Message } from '../../src/session/message.js';

const messages: Message[] = [
  { id: 'm1', role: 'user', content: 'I live in Oslo', createdAt: 0 },
  { id: 'm2', role: 'assistant', content: 'Nice!', createdAt: 1 },
];
const input: ExtractionInput = {
  strategy: 'facts',
  messages,
  context: [],
  summary: null,
  user: { tenant: '_', userId: 'alice' },
  sessionId: 's1',
};
const good = { text: 'The user lives in Oslo', kind: 'fact', sourceMessageIds: ['m1'] };

const issuesOf = (f: () => unknown): string[] => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).message).toContain('extractor "x" (strategy facts)');
    return (error as InvalidArgumentError).issues.map((i) => i.path);
  }
  throw new Error('no error thrown');
};

describe('checkExtracted', () => {
  it('accepts a good reply as it is (text trimmed)', () => {
    expect(
      checkExtracted(
        [
          { ...good, text: '  The user lives in Oslo ' },
          { ...good, importance: 1, tags: ['geo'] },
        ],
        input,
        'x',
      ),
    ).toEqual([good, { ...good, importance: 1, tags: ['geo'] }]);
    expect(checkExtracted([], input, 'x')).toEqual([]);
  });

  it('refuses a bad reply whole, naming every bad field', () => {
    expect(issuesOf(() => checkExtracted('The user lives in Oslo', input, 'x'))).toEqual(['']);
    expect(
      issuesOf(() =>
        checkExtracted(
          [
            good,
            { text: '', kind: 'Fact!', sourceMessageIds: [] },
            { ...good, importance: 2, extra: true },
            { ...good, sourceMessageIds: ['m1', 'invented'] },
          ],
          input,
          'x',
        ),
      ).sort(),
    ).toEqual(['1.kind', '1.sourceMessageIds', '1.text', '2', '2.importance', '3.sourceMessageIds.1'].sort());
    expect(
      issuesOf(() =>
        checkExtracted(
          Array.from({ length: 101 }, () => good),
          input,
          'x',
        ),
      ),
    ).toEqual(['']);
  });

  it('runExtractor checks the reply, and turns a throwing extractor into COMPUTE_FAILED with its cause', async () => {
    const bad: Extractor = { name: 'x', extract: async () => [{ text: 'no sources', kind: 'fact', sourceMessageIds: [] }] };
    await expect(runExtractor(bad, input)).rejects.toBeInstanceOf(InvalidArgumentError);
    const cause = new Error('model is down');
    const broken: Extractor = {
      name: 'x',
      extract: async () => {
        throw cause;
      },
    };
    const error = await runExtractor(broken, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentMemoryError);
    expect(error).toMatchObject({ code: 'COMPUTE_FAILED', cause, message: 'extractor "x" failed on strategy facts: model is down' });
  });
});

describe('extractionId', () => {
  const parts = {
    tenant: '_',
    userId: 'alice',
    sessionId: 's1',
    strategy: 'facts',
    messageIds: ['b', 'a'],
    text: 'The user lives in Oslo',
  };

  it('is 32 hex digits, a valid key part, the same for the same extraction (source order and case of text aside)', () => {
    const id = extractionId(parts);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(KeyPartSchema.safeParse(id).success).toBe(true);
    expect(extractionId({ ...parts, messageIds: ['a', 'b'], text: 'the user lives in  oslo.' })).toBe(id);
  });

  it('differs when anything that matters differs', () => {
    const id = extractionId(parts);
    for (const change of [
      { tenant: 'acme' },
      { userId: 'bob' },
      { sessionId: 's2' },
      { strategy: 'preferences' },
      { messageIds: ['a'] },
      { text: 'The user lives in Bergen' },
    ])
      expect(extractionId({ ...parts, ...change }), JSON.stringify(change)).not.toBe(id);
    // No separator trick: parts are JSON-encoded, so moving a character between two parts changes the id.
    expect(extractionId({ ...parts, tenant: '_a', userId: 'lice' })).not.toBe(extractionId({ ...parts, tenant: '_al', userId: 'ice' }));
  });
});

describe('strategies', () => {
  it('customStrategy takes a function or a prompt (exactly one) and a name that is not a built-in', () => {
    const run = () => [];
    expect(customStrategy({ name: 'travel', run })).toMatchObject({ name: 'travel', over: 'appended', perSession: false });
    expect(customStrategy({ name: 'todo', prompt: 'List open tasks', over: 'session', perSession: true })).toMatchObject({
      over: 'session',
      perSession: true,
    });
    expect(() => customStrategy({ name: 'travel' })).toThrow(InvalidArgumentError);
    expect(() => customStrategy({ name: 'travel', run, prompt: 'x' })).toThrow(/exactly one of run and prompt/);
    expect(() => customStrategy({ name: 'facts', run })).toThrow(/built-in/);
    expect(() => customStrategy({ name: 'Bad Name', run })).toThrow(InvalidArgumentError);
  });

  it('a custom function’s reply is checked like an extractor’s', async () => {
    const strategy = customStrategy({ name: 'travel', run: () => [{ text: 'x', kind: 'trip', sourceMessageIds: ['nope'] }] });
    await expect(strategy.run(input, { name: 'unused', extract: async () => [] })).rejects.toThrow(/is not the id of an input message/);
  });

  it('resolveStrategies: built-ins by name (default all three), no unknown names, no name twice', () => {
    expect(resolveStrategies(undefined).map((s) => [s.name, s.over])).toEqual([
      ['facts', 'appended'],
      ['preferences', 'appended'],
      ['episode', 'session'],
    ]);
    expect(resolveStrategies(['facts'])).toEqual([factsStrategy]);
    expect(() => resolveStrategies(['fact' as 'facts'])).toThrow(/not a built-in strategy/);
    expect(() => resolveStrategies(['facts', factsStrategy])).toThrow(/facts more than once/);
    expect(() => resolveStrategies([])).toThrow(/must not be empty/);
  });
});

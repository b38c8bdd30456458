// The offline rule extractor on a table of what users say: the facts and preferences it must find,
// in the third person, and what it must leave alone (questions, negations, requests, other people).
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/session/message.js';
import { episodeByRules, rulesExtractor } from '../../src/extraction/rules.js';
import { checkExtracted, type ExtractionInput } from '../../src/extraction/extractor.js';

const user = (content: string, id = 'm1', createdAt = 1_764_700_000_000): Message => ({ id, role: 'user', content, createdAt });

const input = (strategy: string, messages: Message[], summary: string | null = null): ExtractionInput => ({
  strategy,
  messages,
  context: [],
  summary,
  user: { tenant: '_', userId: 'alice' },
  sessionId: 's1',
});

const rules = rulesExtractor();
const texts = async (content: string) => {
  const messages = [user(content)];
  const found = [...(await rules.extract(input('facts', messages))), ...(await rules.extract(input('preferences', messages)))];
  return found.map((m) => m.text);
};

describe('rulesExtractor: what it finds', () => {
  it.each([
    ['My name is Alice.', ["The user's name is Alice"]],
    ['hi, my name is alice smith and I live in Paris', ["The user's name is Alice Smith", 'The user lives in Paris']],
    ['Call me Bob!', ['The user wants to be called Bob']],
    ["I'm allergic to peanuts.", ['The user is allergic to peanuts']],
    ['I’m severely allergic to shellfish, just so you know.', ['The user is allergic to shellfish']],
    ['I have a gluten allergy', ['The user is allergic to gluten']],
    ['I work at Contoso.', ['The user works at Contoso']],
    ['I work as a nurse because I like people', ['The user works as a nurse']],
    ["I'm from Lisbon", ['The user is from Lisbon']],
    ['I am vegetarian.', ['The user is vegetarian']],
    ['I love hiking in the mountains too.', ['The user loves hiking in the mountains']],
    ['Well, I really prefer window seats', ['The user prefers window seats']],
    ["I don't like cold weather, but I love my dog.", ['The user loves their dog', 'The user does not like cold weather']],
    ['I hate waiting in line', ['The user hates waiting in line']],
    ['My favorite color is blue', ["The user's favorite color is blue"]],
  ])('%s', async (said, expected) => {
    expect((await texts(said)).sort()).toEqual([...expected].sort());
  });

  it('names each finding’s kind, importance and source message; the same fact twice is one, citing both', async () => {
    const found = await rules.extract(
      input('facts', [user("I'm allergic to peanuts.", 'a'), user('ok', 'b'), user('I am allergic to peanuts!', 'c')]),
    );
    expect(found).toEqual([
      { text: 'The user is allergic to peanuts', kind: 'fact', importance: 0.9, tags: ['health'], sourceMessageIds: ['a', 'c'] },
    ]);
    const [like] = await rules.extract(input('preferences', [user('I like jazz', 'x')]));
    expect(like).toEqual({ text: 'The user likes jazz', kind: 'preference', importance: 0.6, sourceMessageIds: ['x'] });
  });
});

describe('rulesExtractor: what it must leave alone', () => {
  it.each([
    'Do you like sushi?',
    'Am I allergic to peanuts?',
    'what if I like it',
    'Is my name Alice?',
    'I am not allergic to cats.',
    "I don't live in Paris anymore",
    'My name is not Bob',
    'My friend likes jazz.',
    "My sister's name is Jane",
    'My husband is allergic to nuts',
    "I'd like to book a flight to Rome.",
    'I would love a coffee',
    'I like it',
    'I like how I can talk to you about anything at any time of the day',
    'She said she loves opera',
    'Where do you live?',
  ])('%s', async (said) => {
    expect(await texts(said)).toEqual([]);
  });

  it('reads only what the user says: assistant, system and tool messages are not the user', async () => {
    const messages: Message[] = [
      { id: 'a', role: 'assistant', content: 'I love helping! My name is Copilot.', createdAt: 0 },
      { id: 's', role: 'system', content: 'I live in the cloud.', createdAt: 0 },
    ];
    expect(await rules.extract(input('facts', messages))).toEqual([]);
    expect(await rules.extract(input('preferences', messages))).toEqual([]);
  });

  it('reads the text parts of multimodal content, and has nothing for a custom strategy', async () => {
    const image: Message = {
      id: 'p',
      role: 'user',
      content: [
        { type: 'image_url', image_url: 'https://example.com/a.png' },
        { type: 'text', text: 'I live in Oslo.' },
      ],
      createdAt: 0,
    };
    expect((await rules.extract(input('facts', [image]))).map((m) => m.text)).toEqual(['The user lives in Oslo']);
    expect(await rules.extract(input('travel', [user('I live in Oslo')]))).toEqual([]);
  });
});

describe('rulesExtractor: episode', () => {
  const conversation: Message[] = [
    user('I need help planning a trip to Lisbon in spring', 'a', Date.UTC(2026, 11, 2, 9)),
    { id: 'b', role: 'assistant', content: 'Sure! Any dates?', createdAt: Date.UTC(2026, 11, 2, 9, 1) },
    user('Late April. Lisbon hotels near the river, please.', 'c', Date.UTC(2026, 11, 2, 9, 2)),
  ];

  it('is one deterministic account: day, counts, opening, most frequent words, and the running summary', async () => {
    const once = await rules.extract(input('episode', conversation, 'The user asked about flights first.'));
    const again = await rules.extract(input('episode', conversation, 'The user asked about flights first.'));
    expect(once).toEqual(again);
    expect(once).toEqual([
      {
        text: 'Conversation on 2026-12-02 (3 messages, 2 from the user) that began with: "I need help planning a trip to Lisbon in spring". Topics: lisbon, help, planning, trip, spring. Earlier in it: The user asked about flights first.',
        kind: 'episode',
        importance: 0.4,
        sourceMessageIds: ['a', 'b', 'c'],
      },
    ]);
    expect(checkExtracted(once, input('episode', conversation), 'rules')).toEqual(once);
  });

  it('has nothing for an empty session, and cuts a long opening at a word', () => {
    expect(episodeByRules([], null)).toEqual([]);
    const [long] = episodeByRules([user(`${'word '.repeat(60)}end`)], null);
    expect(long!.text).toMatch(/began with: "(word ){30,}word…"/);
  });
});

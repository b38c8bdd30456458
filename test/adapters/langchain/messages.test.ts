// Every LangChain message type survives a trip through the session store (Redis 8, Redis 7,
// cluster) with its class and every field it carries.
import {
  AIMessage,
  ChatMessage,
  FunctionMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
  type BaseMessage,
} from '@langchain/core/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toLangChainMessage, toMessageInput } from '../../../adapters/langchain/messages.js';
import { targetsWithCluster } from '../../harness/index.js';
import { sessionFixture, type SessionFixture } from '../../session/fixture.js';

const FIELDS = [
  'id',
  'name',
  'content',
  'additional_kwargs',
  'response_metadata',
  'tool_calls',
  'invalid_tool_calls',
  'usage_metadata',
  'tool_call_id',
  'artifact',
  'status',
  'role',
] as const;

function fieldsOf(message: BaseMessage): Record<string, unknown> {
  const record = message as unknown as Record<string, unknown>;
  return Object.fromEntries(FIELDS.filter((f) => record[f] !== undefined).map((f) => [f, record[f]]));
}

const MESSAGES: BaseMessage[] = [
  new SystemMessage({ id: 'sys-1', content: 'You are terse.' }),
  new HumanMessage({ id: 'h-1', name: 'alice', content: 'Hello', additional_kwargs: { lc_source: 'ui' } }),
  new HumanMessage({
    id: 'h-2',
    content: [
      { type: 'text', text: 'What is in this picture?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K', detail: 'low' } },
    ],
  }),
  new AIMessage({
    id: 'ai-1',
    content: '',
    tool_calls: [{ id: 'call_1', name: 'weather', args: { city: 'Zürich', units: ['c'] }, type: 'tool_call' }],
    invalid_tool_calls: [{ id: 'call_2', name: 'broken', args: '{"a":', error: 'bad json', type: 'invalid_tool_call' }],
    // LangChain's field type resolves to undefined under exactOptionalPropertyTypes; the value is real.
    usage_metadata: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } as never,
    response_metadata: { model_name: 'gpt-4o', finish_reason: 'tool_calls' },
    additional_kwargs: { refusal: null },
  }),
  new ToolMessage({ id: 't-1', content: '18°C', tool_call_id: 'call_1', name: 'weather', artifact: { raw: [1, 2] }, status: 'success' }),
  new ToolMessage({ content: 'failed', tool_call_id: 'call_3', status: 'error' }),
  new AIMessage({ id: 'ai-2', content: 'It is 18°C in Zürich.', name: 'bot' }),
  new ChatMessage({ id: 'c-1', content: 'custom role', role: 'critic' }),
  new FunctionMessage({ id: 'f-1', content: '{"ok":true}', name: 'legacy_fn' }),
];

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('LangChain messages through the session store (%s)', (_, target) => {
  let f: SessionFixture;
  beforeAll(async () => {
    f = await sessionFixture(target);
  });
  afterAll(() => f.close());

  it('round-trips every message type with its class and fields', async () => {
    const chat = f.store().session({ userId: 'lc', sessionId: 'round-trip' });
    await chat.append(MESSAGES.map(toMessageInput));
    const restored = (await chat.messages()).map(toLangChainMessage);
    expect(restored).toHaveLength(MESSAGES.length);
    restored.forEach((message, i) => {
      const original = MESSAGES[i]!;
      expect(message.constructor.name, `message ${i}`).toBe(original.constructor.name);
      if (original.id === undefined) {
        // A message stored without an id gets one, so that it can be addressed later.
        expect(message.id).toMatch(/^[0-9a-f-]{36}$/);
        expect({ ...fieldsOf(message), id: undefined }).toEqual({ ...fieldsOf(original), id: undefined });
      } else {
        expect(fieldsOf(message), `message ${i}`).toEqual(fieldsOf(original));
      }
    });
  });
});

// The LangChain extractor on real LangChain chat models, no network: FakeListChatModel (whose
// structured output parses JSON content), and a BaseChatModel subclass that answers with a tool
// call, so BaseChatModel's own withStructuredOutput (zod schema → tool) runs end to end.
import type { BaseChatModelParams } from '@langchain/core/language_models/chat_models';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { describe, expect, it } from 'vitest';
import { chatModelExtractor, extractionPrompt } from '../../adapters/langchain/extractor.js';
import { AgentMemoryError, InvalidArgumentError } from '../../src/errors.js';
import { type ExtractionInput, runExtractor } from '../../src/extraction/extractor.js';
import type { Message } from '../../src/session/message.js';

/** A chat model that calls the tool it was bound to with `args`, and keeps the prompts it got. */
class ToolCallingModel extends BaseChatModel {
  readonly prompts: BaseMessage[][] = [];
  boundTools: { function?: { name?: string; parameters?: unknown } }[] = [];

  constructor(
    readonly args: unknown,
    params: BaseChatModelParams = {},
  ) {
    super(params);
  }

  _llmType(): string {
    return 'tool-calling-test';
  }

  override bindTools(tools: unknown[]) {
    this.boundTools = tools as typeof this.boundTools;
    return this;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.prompts.push(messages);
    const name = this.boundTools[0]?.function?.name ?? 'none';
    const message = new AIMessageChunk({ content: '', tool_calls: [{ name, args: this.args as Record<string, unknown>, id: 'call-1' }] });
    return { generations: [{ text: '', message }] };
  }
}

const messages: Message[] = [
  { id: 'm0', role: 'user', content: 'Hi there', createdAt: 0 },
  { id: 'm1', role: 'user', content: 'I moved to Oslo last year and I work at Contoso', createdAt: 1 },
  { id: 'm2', role: 'assistant', content: 'Nice! How do you like Norway?', createdAt: 2 },
];
const input: ExtractionInput = {
  strategy: 'facts',
  messages: messages.slice(1),
  context: messages.slice(0, 1),
  summary: 'The user said hello.',
  user: { tenant: '_', userId: 'alice' },
  sessionId: 's1',
};
const reply = {
  memories: [
    { text: 'The user lives in Oslo', kind: 'Fact', tags: ['geo'], importance: 0.7, sourceMessageIds: ['m1'] },
    { text: 'The user works at Contoso', kind: 'fact', tags: [], importance: 0.6, sourceMessageIds: [] },
  ],
};
const expected = [
  { text: 'The user lives in Oslo', kind: 'fact', tags: ['geo'], importance: 0.7, sourceMessageIds: ['m1'] },
  // No source cited: credited to the user's messages of the input.
  { text: 'The user works at Contoso', kind: 'fact', tags: [], importance: 0.6, sourceMessageIds: ['m1'] },
];

describe('chatModelExtractor', () => {
  it('on a tool-calling BaseChatModel: binds the schema as a tool, prompts with ids, returns the memories', async () => {
    const model = new ToolCallingModel(reply);
    const extractor = chatModelExtractor(model);
    expect(extractor.name).toBe('langchain:tool-calling-test');
    expect(await runExtractor(extractor, input)).toEqual(expected);
    const tool = model.boundTools[0]!.function!;
    expect(tool.name).toBe('remember_memories');
    expect(JSON.stringify(tool.parameters)).toContain('sourceMessageIds');
    const [system, human] = model.prompts[0]!;
    expect(system!.content).toContain('Extract durable facts the user states about themself');
    expect(system!.content).toContain('Use kind "fact"');
    expect(human!.content).toBe(
      [
        'Summary of the conversation so far:\nThe user said hello.',
        'Earlier messages (context only, do not cite):\n[m0] user: Hi there',
        'Messages to extract from:\n[m1] user: I moved to Oslo last year and I work at Contoso\n[m2] assistant: Nice! How do you like Norway?',
      ].join('\n\n'),
    );
  });

  it('on FakeListChatModel (JSON content), with a custom prompt and a custom strategy’s instructions', async () => {
    const model = new FakeListChatModel({ responses: [JSON.stringify(reply)] });
    const extractor = chatModelExtractor(model, { prompt: 'Be terse.', name: 'fake' });
    expect(await extractor.extract(input)).toEqual(expected);
    const [system] = extractionPrompt({ ...input, strategy: 'travel', instructions: 'List trips.' }, 'Be terse.');
    expect(system.content).toBe('Be terse.\n\nList trips.\nUse kind "travel".');
  });

  it('a reply off the schema is an InvalidArgumentError naming the fields, and nothing is returned', async () => {
    const model = new FakeListChatModel({ responses: [JSON.stringify({ memories: [{ text: 'The user lives in Oslo', importance: 3 }] })] });
    const error = await chatModelExtractor(model, { name: 'fake' })
      .extract(input)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).issues.map((i) => i.path).sort()).toEqual(
      ['memories.0.importance', 'memories.0.kind', 'memories.0.sourceMessageIds', 'memories.0.tags'].sort(),
    );
  });

  it('a memory citing a message it was not given fails the worker’s check; a model failure is COMPUTE_FAILED', async () => {
    const invented = { memories: [{ ...reply.memories[0]!, sourceMessageIds: ['m9'] }] };
    await expect(runExtractor(chatModelExtractor(new ToolCallingModel(invented)), input)).rejects.toThrow(
      /is not the id of an input message/,
    );
    const down = new FakeListChatModel({ responses: ['not json at all'] });
    const error = await runExtractor(chatModelExtractor(down, { name: 'fake' }), input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentMemoryError);
    expect((error as AgentMemoryError).code).toBe('COMPUTE_FAILED');
  });
});

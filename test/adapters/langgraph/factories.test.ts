// The adapters' factories, as LangGraph users make savers and stores: from a Redis URL (the
// adapter owns the connection and end() closes it) or from a node-redis client of the caller's
// (end() leaves it open). A graph interrupted through one factory-made checkpointer resumes
// through another; a store's items outlive the store that wrote them.
import { Annotation, Command, END, interrupt, START, StateGraph } from '@langchain/langgraph';
import { createClient } from '@redis/client';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentMemoryCheckpointer, AgentMemoryStore } from '../../../adapters/langgraph/index.js';
import { connectTo, deletePrefix, redis8Targets, uniquePrefix } from '../../harness/index.js';

const State = Annotation.Root({ log: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }) });
const graph = () =>
  new StateGraph(State)
    .addNode('ask', () => ({ log: [interrupt('go?') as string] }))
    .addEdge(START, 'ask')
    .addEdge('ask', END);

describe.each(redis8Targets().map((t) => [t.name, t] as const))('LangGraph adapter factories (%s)', (_, target) => {
  const prefix = uniquePrefix('fac');
  afterAll(async () => {
    const admin = await connectTo(target);
    await deletePrefix(admin, prefix);
    await admin.close();
  });

  it('fromUrl: a graph paused through one checkpointer resumes through another; end() closes its connection', async () => {
    const config = { configurable: { thread_id: 'factory-run' } };
    const first = await AgentMemoryCheckpointer.fromUrl(target.url, { prefix });
    await graph()
      .compile({ checkpointer: first })
      .invoke({ log: ['start'] }, config);
    await first.end();
    await expect(first.getTuple(config)).rejects.toMatchObject({ code: expect.any(String) });

    const second = await AgentMemoryCheckpointer.fromUrl(target.url, { prefix });
    const done = await graph()
      .compile({ checkpointer: second })
      .invoke(new Command({ resume: 'yes' }), config);
    expect(done.log).toEqual(['start', 'yes']);
    await second.end();
    await second.end(); // twice is harmless
  });

  it('fromClient: works on the caller’s client and leaves it open on end()', async () => {
    const client = await createClient({ url: target.url }).connect();
    try {
      const checkpointer = await AgentMemoryCheckpointer.fromClient(client, { prefix });
      const config = { configurable: { thread_id: 'own-client-run' } };
      await graph()
        .compile({ checkpointer })
        .invoke({ log: ['a'] }, config);
      expect((await checkpointer.getTuple(config))?.checkpoint.id).toEqual(expect.any(String));
      await checkpointer.end();

      const store = await AgentMemoryStore.fromClient(client, { prefix, name: 'factories' });
      await store.put(['prefs', 'alice'], 'diet', { text: 'vegetarian' });
      await store.end();
      expect(client.isOpen).toBe(true);
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.destroy();
    }
  });

  it('fromUrl: a store’s items outlive the store that wrote them', async () => {
    const writer = await AgentMemoryStore.fromUrl(target.url, { prefix, name: 'factories-url' });
    await writer.put(['prefs', 'bob'], 'lang', { value: 'fr' });
    await writer.end();
    const reader = await AgentMemoryStore.fromUrl(target.url, { prefix, name: 'factories-url' });
    expect((await reader.get(['prefs', 'bob'], 'lang'))?.value).toEqual({ value: 'fr' });
    await reader.end();
  });
});

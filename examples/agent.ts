// A LangChain v1 agent with its memory on Redis: the conversation (and a pending human approval)
// lives in the checkpointer, facts about the user in the long-term store, shared by all of that
// user's threads and no one else's. Run: `npm run demo:agent` (offline unless a model key is set; see agent-model.ts).
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { HumanMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { tool } from '@langchain/core/tools';
import { Command, getStore, interrupt, type BaseCheckpointSaver, type BaseStore } from '@langchain/langgraph';
import { createAgent } from 'langchain';
import { z } from 'zod';
import { pickModel } from './agent-model.js';

const Context = z.object({ userId: z.string() });
type Ctx = z.infer<typeof Context>;

/** Where a user's memories live in the store: one namespace per user. */
export const memoriesOf = (userId: string): string[] => ['memories', userId];

const saveMemory = tool(
  async ({ fact }, runtime) => {
    const { userId } = runtime.context as Ctx;
    await getStore()!.put(memoriesOf(userId), randomUUID(), { text: fact });
    return `saved: ${fact}`;
  },
  { name: 'save_memory', description: 'Save a lasting fact or preference about the user.', schema: z.object({ fact: z.string() }) },
);

const searchMemories = tool(
  async ({ query }, runtime) => {
    const { userId } = runtime.context as Ctx;
    const found = await getStore()!.search(memoriesOf(userId), { query, limit: 3 });
    return found.length ? found.map((m) => String(m.value.text)).join('; ') : 'nothing known';
  },
  { name: 'search_memories', description: 'Search what is known about the user.', schema: z.object({ query: z.string() }) },
);

const bookTable = tool(
  async ({ restaurant, time }) => {
    // Waits for a human: the run stops here, its state is checkpointed, and any process can resume it.
    const approved = interrupt({ action: 'book_table', restaurant, time }) as boolean;
    return approved ? `booked ${restaurant} at ${time}` : `did not book ${restaurant}`;
  },
  {
    name: 'book_table',
    description: 'Book a restaurant table (asks the user to approve first).',
    schema: z.object({ restaurant: z.string(), time: z.string() }),
  },
);

export interface AgentParts {
  model: BaseChatModel;
  checkpointer: BaseCheckpointSaver;
  store: BaseStore;
}

export function buildAgent({ model, checkpointer, store }: AgentParts) {
  return createAgent({
    model,
    tools: [saveMemory, searchMemories, bookTable],
    systemPrompt: 'You are a concierge. Save lasting facts about the user; search them before answering questions about the user.',
    contextSchema: Context,
    checkpointer,
    store,
  });
}

/** One turn: a user message, or the answer to a pending approval. Returns the last reply and any pending question. */
export async function turn(
  agent: ReturnType<typeof buildAgent>,
  { threadId, userId, say, approve }: { threadId: string; userId: string; say?: string; approve?: boolean },
) {
  const input = approve !== undefined ? new Command({ resume: approve }) : { messages: [new HumanMessage(say ?? '')] };
  const result = (await agent.invoke(input as never, { configurable: { thread_id: threadId }, context: { userId } })) as {
    messages: { content: unknown }[];
    __interrupt__?: { value: unknown }[];
  };
  return { reply: String(result.messages.at(-1)?.content ?? ''), pending: result.__interrupt__?.[0]?.value ?? null };
}

async function main() {
  const { createAgentMemory } = await import('../src/index.js');
  const { WordVectorEmbeddings } = await import('../src/entries/embeddings.js');
  const { AgentMemoryCheckpointer, AgentMemoryStore } = await import('../adapters/langgraph/index.js');
  const { findRedisServer, startRedis } = await import('../scripts/local-redis.js');
  const local = process.env.REDIS_URL ? null : await startRedis(findRedisServer(8)!);
  const url = process.env.REDIS_URL ?? local!.url;
  console.log(local ? `Started a throwaway Redis ${local.version} at ${url}` : 'Using REDIS_URL');
  const memory = await createAgentMemory({ redis: { url }, prefix: 'agent-demo' });
  const embedder = WordVectorEmbeddings.load();
  const { model, label } = await pickModel();
  console.log(`model: ${label}\n`);
  const parts = () => ({
    model,
    checkpointer: new AgentMemoryCheckpointer(memory.checkpoints({ ttl: { mode: 'sliding', seconds: 3600 } })),
    store: new AgentMemoryStore(memory, {
      index: { dims: embedder.dimensions, embed: embedder, fields: ['text'] },
      ttl: { defaultTtl: 60 },
    }),
  });
  const run = randomUUID().slice(0, 8);
  const say = async (agent: ReturnType<typeof buildAgent>, threadId: string, userId: string, text: string) => {
    const { reply, pending } = await turn(agent, { threadId, userId, say: text });
    console.log(
      `[${userId}/${threadId}] ${text}\n  → ${reply || '(waiting)'}${pending ? `\n  ⏸ needs approval: ${JSON.stringify(pending)}` : ''}`,
    );
  };

  let agent = buildAgent(parts());
  await say(agent, `a-${run}`, 'alice', 'Remember that I am vegetarian and allergic to peanuts');
  await say(agent, `a-${run}`, 'alice', "Please book a table at Luigi's at 19:30");
  agent = buildAgent(parts()); // a new agent, as after a restart: the pending approval is in Redis
  const resumed = await turn(agent, { threadId: `a-${run}`, userId: 'alice', approve: true });
  console.log(`[alice/a-${run}] (approved after a restart)\n  → ${resumed.reply}`);
  await say(agent, `b-${run}`, 'alice', 'What should the chef know about my diet?');
  await say(agent, `c-${run}`, 'bob', 'What should the chef know about my diet?');
  await memory.close();
  await local?.stop();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

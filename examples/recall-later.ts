// A later session knows what an earlier one said, though nobody called `remember`: the first
// conversation goes through LangChain's chat history (AgentMemoryChatHistory), the sessions
// publish events, and an extraction worker in the background turns what the user said into
// long-term memories; the later session recalls them. Offline by default (rule-based extractor,
// a stand-in reply); with OPENAI_API_KEY or AZURE_OPENAI_* a real model extracts and answers.
// Run: `npm run demo:recall-later`.
import { fileURLToPath } from 'node:url';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { AgentMemoryChatHistory, chatModelExtractor } from '../adapters/langchain/index.js';
import type { EmbeddingsLike } from '../src/entries/embeddings.js';
import { rulesExtractor } from '../src/entries/events.js';
import type { AgentMemory } from '../src/index.js';

export interface RecallLaterParts {
  /** An agent memory whose sessions publish events (`sessions: { events: true }`). */
  memory: AgentMemory;
  embedder: EmbeddingsLike;
  /** A real chat model, or undefined: then the rules extractor and a stand-in reply. */
  model?: BaseChatModel | undefined;
  userId: string;
  log?: (line: string) => void;
}

/** One turn through LangChain's chat history: the user's message, then the reply, both kept in the session. */
async function turn(history: AgentMemoryChatHistory, text: string, answer: (messages: BaseMessage[]) => Promise<string>, system?: string) {
  await history.addUserMessage(text);
  const messages = [...(system ? [new SystemMessage(system)] : []), ...(await history.getMessages())];
  const reply = await answer(messages);
  await history.addAIMessage(reply);
  return reply;
}

export async function recallLater({ memory, embedder, model, userId, log = console.log }: RecallLaterParts) {
  const learned = await memory.longTerm({ embedder, namespace: 'learned' });
  const extractor = model ? chatModelExtractor(model) : rulesExtractor();
  const worker = memory.extraction({ memory: learned, extractor, consume: { blockMs: 200 } }).start();
  const answer = async (messages: BaseMessage[]) => {
    if (model) return String((await model.invoke(messages)).content);
    const system = messages.find((m) => m instanceof SystemMessage);
    return system ? `(stand-in) ${String(system.content)}` : '(stand-in) Noted.';
  };
  try {
    const monday = new AgentMemoryChatHistory(memory.sessions.session({ userId, sessionId: 'monday' }));
    const said = 'Hi! I am vegetarian and I am allergic to peanuts. Can you suggest a restaurant?';
    log(`[monday] ${userId}: ${said}\n  → ${await turn(monday, said, answer)}`);

    // The worker reads the events in the background; wait until it has caught up.
    for (let waited = 0; waited < 15_000; waited += 50) {
      const { pending, lag } = await memory.events.stats('extraction');
      if (pending === 0 && lag === 0 && worker.counts.events > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    log(`[background] extracted ${worker.counts.inserted + worker.counts.merged} memories from ${worker.counts.events} events`);

    // A new session: its history is empty; what is known comes from long-term memory.
    const friday = new AgentMemoryChatHistory(memory.sessions.session({ userId, sessionId: 'friday' }));
    const question = 'What should the chef know about my diet?';
    const known = await learned.recall({ userId }, question, { k: 3 });
    const context = known.length ? `Known about the user: ${known.map((k) => k.text).join('; ')}` : 'Nothing is known about the user.';
    log(`[friday] ${userId}: ${question}\n  recalled: ${known.map((k) => k.text).join(' | ') || 'nothing'}`);
    const reply = await turn(friday, question, answer, context);
    log(`  → ${reply}`);
    return { known: known.map((k) => k.text), reply, fridayHistory: await friday.getMessages() };
  } finally {
    await worker.stop();
  }
}

async function main() {
  const { createAgentMemory } = await import('../src/index.js');
  const { WordVectorEmbeddings } = await import('../src/entries/embeddings.js');
  const { findRedisServer, startRedis } = await import('../scripts/local-redis.js');
  const { pickModel } = await import('./agent-model.js');
  const local = process.env.REDIS_URL ? null : await startRedis(findRedisServer(8)!);
  const url = process.env.REDIS_URL ?? local!.url;
  console.log(local ? `Started a throwaway Redis ${local.version} at ${url}` : 'Using REDIS_URL');
  const memory = await createAgentMemory({ redis: { url }, prefix: 'recall-demo', sessions: { events: true } });
  const { model, label } = await pickModel();
  const real = !label.startsWith('OFFLINE');
  console.log(
    `model: ${real ? label : 'none (rules extractor and a stand-in reply; set OPENAI_API_KEY or AZURE_OPENAI_* for a real one)'}\n`,
  );
  try {
    await recallLater({ memory, embedder: WordVectorEmbeddings.load(), model: real ? model : undefined, userId: 'alice' });
    await memory.forgetUser({ userId: 'alice' });
  } finally {
    await memory.close();
    await local?.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

// The chat model of the agent example: a real one when OpenAI or Azure OpenAI credentials are in
// the environment, else an OFFLINE STAND-IN (LangChain's published fake model driven by a few
// fixed rules), so the example and its test run anywhere with no network and no key.
import { AIMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { fakeModel } from '@langchain/core/testing';
import { initChatModel } from 'langchain';

export interface ModelChoice {
  model: BaseChatModel;
  /** What the example prints: which model answers. */
  label: string;
}

/** OpenAI (`OPENAI_API_KEY`, `OPENAI_MODEL`), Azure OpenAI (`AZURE_OPENAI_API_KEY` with `AZURE_OPENAI_ENDPOINT` and `AZURE_OPENAI_DEPLOYMENT`), or the offline stand-in. */
export async function pickModel(env: NodeJS.ProcessEnv = process.env): Promise<ModelChoice> {
  if (env.AZURE_OPENAI_API_KEY && env.AZURE_OPENAI_ENDPOINT && env.AZURE_OPENAI_DEPLOYMENT) {
    const model = (await initChatModel(env.AZURE_OPENAI_DEPLOYMENT, {
      modelProvider: 'azure_openai',
      azureOpenAIApiKey: env.AZURE_OPENAI_API_KEY,
      azureOpenAIEndpoint: env.AZURE_OPENAI_ENDPOINT,
      azureOpenAIApiDeploymentName: env.AZURE_OPENAI_DEPLOYMENT,
      azureOpenAIApiVersion: env.AZURE_OPENAI_API_VERSION ?? '2024-10-21',
    })) as unknown as BaseChatModel;
    return { model, label: `Azure OpenAI deployment ${env.AZURE_OPENAI_DEPLOYMENT}` };
  }
  if (env.OPENAI_API_KEY) {
    const name = env.OPENAI_MODEL ?? 'gpt-4o-mini';
    return { model: (await initChatModel(name, { modelProvider: 'openai' })) as unknown as BaseChatModel, label: `OpenAI ${name}` };
  }
  return {
    model: offlineStandIn(),
    label: 'OFFLINE STAND-IN (rules, not a language model): set OPENAI_API_KEY or AZURE_OPENAI_* for a real one',
  };
}

/**
 * LangChain's fake chat model answering by rule: "remember …" saves a memory, "book …" books a
 * table (which asks a human first), a question searches memories; after a tool, it reports the
 * tool's result. Deterministic, so tests can drive the agent with it.
 */
export function offlineStandIn(turns = 200): BaseChatModel {
  const model = fakeModel();
  for (let i = 0; i < turns; i++) model.respond(rule);
  return model;
}

function rule(messages: BaseMessage[]): BaseMessage {
  const last = messages.at(-1);
  if (last instanceof ToolMessage) return new AIMessage(`(${last.name}) ${String(last.content)}`);
  const text = String(last?.content ?? '').trim();
  const call = (name: string, args: Record<string, unknown>) =>
    new AIMessage({ content: '', tool_calls: [{ id: `call_${messages.length}`, name, args, type: 'tool_call' }] });
  const remember = /^remember(?: that)?\s+(.+)$/i.exec(text);
  if (remember) return call('save_memory', { fact: remember[1] });
  const book = /\bbook .*?\bat ([^,]+?) at (\d{1,2}:\d{2})/i.exec(text);
  if (book) return call('book_table', { restaurant: book[1], time: book[2] });
  if (text.endsWith('?')) return call('search_memories', { query: text });
  return new AIMessage('Noted.');
}

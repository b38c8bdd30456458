// The agent example end to end, across processes, on Redis 8 and the cluster: a LangChain v1
// createAgent with our checkpointer and store, driven by LangChain's published fake chat model.
// Process one saves a fact and stops at a human approval; process two resumes that thread from
// Redis, and finds the fact from another thread of the same user but not from another user's.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { connectTo, deletePrefix, redis8Targets, targetsWithCluster, uniquePrefix } from '../../harness/index.js';

const run = promisify(execFile);

interface TurnResult {
  reply: string;
  pending: unknown;
  messages: number;
}

const targets = targetsWithCluster().filter((t) => t.name === 'cluster' || redis8Targets().includes(t));

describe.each(targets.map((t) => [t.name, t] as const))('agent example across processes (%s)', (_, target) => {
  const prefix = uniquePrefix('agent');
  const redis = target.nodes ? { nodes: target.nodes } : { url: target.url };
  const process = async (turns: object[]): Promise<TurnResult[]> => {
    const { stdout } = await run(
      globalThis.process.execPath,
      ['--import', 'tsx', 'test/adapters/langgraph/fixtures/agent-process.ts', JSON.stringify({ redis, prefix, turns })],
      { timeout: 60_000 },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as TurnResult[];
  };
  afterAll(async () => {
    const connection = await connectTo(target);
    await deletePrefix(connection, prefix);
    await connection.close();
  });

  it('resumes an interrupted thread in a new process and shares facts only within a user', { timeout: 120_000 }, async () => {
    const first = await process([
      { threadId: 'alice-1', userId: 'alice', say: 'Remember that I am vegetarian and allergic to peanuts' },
      { threadId: 'alice-1', userId: 'alice', say: "Please book a table at Luigi's at 19:30" },
    ]);
    expect(first[0]!.reply).toBe('(save_memory) saved: I am vegetarian and allergic to peanuts');
    expect(first[1]!.pending).toEqual({ action: 'book_table', restaurant: "Luigi's", time: '19:30' });
    const waitingWith = first[1]!.messages;

    const second = await process([
      { threadId: 'alice-1', userId: 'alice', approve: true },
      { threadId: 'alice-2', userId: 'alice', say: 'What should the chef know about my diet?' },
      { threadId: 'bob-1', userId: 'bob', say: 'What should the chef know about my diet?' },
    ]);
    expect(second[0]!.reply).toBe("(book_table) booked Luigi's at 19:30");
    expect(second[0]!.pending).toBeNull();
    expect(second[0]!.messages).toBe(waitingWith + 2); // the thread went on from where process one stopped: tool result + answer
    expect(second[1]!.reply).toBe('(search_memories) I am vegetarian and allergic to peanuts');
    expect(second[1]!.messages).toBe(4); // a new thread: question, tool call, tool result, answer
    expect(second[2]!.reply).toBe('(search_memories) nothing known');
  });
});

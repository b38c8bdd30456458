// An exact token counter for OpenAI chat models, on js-tiktoken (an optional peer, loaded at
// creation, never at import): a message counts as OpenAI bills it (the cookbook's rule: 3 tokens a
// message, 1 more for a name, 3 a request to prime the reply). It never guesses a model's encoding.
import { z } from 'zod';
import { InvalidArgumentError, MissingDependencyError } from '../errors.js';
import { parseInput } from '../validate.js';
import type { Message, TokenCounter } from './message.js';

const PACKAGE = 'js-tiktoken';
/** The encodings of OpenAI's chat models: o200k_base (gpt-4o, gpt-4.1, o1/o3/o4, gpt-5), cl100k_base (gpt-4, gpt-3.5-turbo). */
const CHAT_ENCODINGS = ['o200k_base', 'cl100k_base'] as const;
type ChatEncoding = (typeof CHAT_ENCODINGS)[number];

/** Options of {@link openAiTokenCounter}: the model (its encoding looked up) or the encoding itself. */
export const OpenAiTokenCounterOptionsSchema = z
  .object({
    /** An OpenAI model name js-tiktoken knows, e.g. `gpt-4o`, `gpt-4.1-mini`, `o3`, `gpt-4`, `gpt-3.5-turbo`. */
    model: z.string().min(1).max(200).optional(),
    /** The encoding, for a model js-tiktoken does not name (an Azure deployment name, a newer snapshot). */
    encoding: z.enum(CHAT_ENCODINGS).optional(),
  })
  .strict()
  .refine((o) => (o.model === undefined) !== (o.encoding === undefined), { message: 'give one of model or encoding' });

export type OpenAiTokenCounterOptions = z.input<typeof OpenAiTokenCounterOptionsSchema>;

/** Per the OpenAI cookbook (num_tokens_from_messages), for every chat model since gpt-3.5-turbo-0613. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
/** Every reply is primed with `<|start|>assistant<|message|>`. */
const REPLY_PRIMING = 3;

interface Encoder {
  encode(text: string, allowedSpecial?: string[] | 'all', disallowedSpecial?: string[] | 'all'): number[];
}

/** One encoder per encoding per process: building one parses megabytes of ranks. */
const encoders = new Map<ChatEncoding, Promise<Encoder>>();

/**
 * An exact token counter for OpenAI chat models (js-tiktoken, an optional peer:
 * `npm install js-tiktoken`), for the sessions' `tokenCounter`. It counts each message's role,
 * text, name and tool call id as OpenAI does, plus 3 tokens a message, 1 for a name, and 3 a
 * request (its `requestOverhead`, the reply's priming). Tool calls count by their names and JSON
 * arguments, and non-text parts (images) by the size of their JSON: OpenAI does not publish those
 * rules, so they are estimates. Rejects with a MissingDependencyError when js-tiktoken is not
 * installed, and an InvalidArgumentError for a model it does not know (give `encoding` then).
 *
 * @example const memory = await createAgentMemory({ redis, sessions: { tokenCounter: await openAiTokenCounter({ model: 'gpt-4o' }) } });
 */
export async function openAiTokenCounter(options: OpenAiTokenCounterOptions): Promise<TokenCounter> {
  const parsed = parseInput(OpenAiTokenCounterOptionsSchema, options, 'openAiTokenCounter options');
  const lite = await importPeer(() => import('js-tiktoken/lite'));
  const encoding = parsed.encoding ?? chatEncodingOf(parsed.model!, lite.getEncodingNameForModel as (model: string) => string);
  let encoder = encoders.get(encoding);
  if (!encoder) {
    encoder = (async () => {
      const ranks = await importPeer(() =>
        encoding === 'o200k_base' ? import('js-tiktoken/ranks/o200k_base') : import('js-tiktoken/ranks/cl100k_base'),
      );
      return new lite.Tiktoken(ranks.default);
    })();
    encoders.set(encoding, encoder);
    encoder.catch(() => encoders.delete(encoding));
  }
  const tiktoken = await encoder;
  // Text a user wrote that looks like a special token (`<|endoftext|>`) is text: encoded as such, never refused.
  const tokens = (text: string): number => tiktoken.encode(text, [], []).length;
  const counter = (message: Message): number => {
    let count = TOKENS_PER_MESSAGE + tokens(message.role);
    if (typeof message.content === 'string') count += tokens(message.content);
    else {
      for (const part of message.content) {
        count += part.type === 'text' && typeof part.text === 'string' ? tokens(part.text) : tokens(JSON.stringify(part));
      }
    }
    if (message.name !== undefined) count += TOKENS_PER_NAME + tokens(message.name);
    if (message.toolCallId !== undefined) count += tokens(message.toolCallId);
    for (const call of message.toolCalls ?? []) count += tokens(call.name) + tokens(JSON.stringify(call.args));
    return count;
  };
  return Object.assign(counter, { requestOverhead: REPLY_PRIMING });
}

/** The chat encoding js-tiktoken gives `model`; an InvalidArgumentError for a model it does not know or that does not chat. */
function chatEncodingOf(model: string, encodingOf: (model: string) => string): ChatEncoding {
  let name: string;
  try {
    name = encodingOf(model);
  } catch {
    throw new InvalidArgumentError('openAiTokenCounter options', [
      {
        path: 'model',
        message:
          `js-tiktoken does not know the model ${JSON.stringify(model)}: give its encoding instead ` +
          "(encoding: 'o200k_base' for gpt-4o, gpt-4.1, o1, o3, o4 and gpt-5; 'cl100k_base' for gpt-4 and gpt-3.5-turbo)",
      },
    ]);
  }
  if (!(CHAT_ENCODINGS as readonly string[]).includes(name)) {
    throw new InvalidArgumentError('openAiTokenCounter options', [
      { path: 'model', message: `${JSON.stringify(model)} is not a chat model (its encoding is ${name}): the chat rules do not apply` },
    ]);
  }
  return name as ChatEncoding;
}

/** A module of the optional peer; a MissingDependencyError saying what to install when it is absent. */
async function importPeer<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new MissingDependencyError(
        PACKAGE,
        `openAiTokenCounter needs the ${PACKAGE} package (an optional peer dependency of redis-agent-memory): npm install ${PACKAGE}`,
        { cause: error },
      );
    }
    throw error;
  }
}

// Extraction strategies: what to look for, and over which messages. `facts` and `preferences` run
// over each batch of appended messages; `episode` over a whole session when the worker is asked to
// summarize it; a custom strategy is a function of yours or a prompt for a model extractor.
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import { parseInput } from '../validate.js';
import {
  BUILTIN_STRATEGIES,
  type BuiltinStrategy,
  checkExtracted,
  type ExtractedMemory,
  type ExtractionInput,
  type Extractor,
  runExtractor,
} from './extractor.js';

/** One strategy, as the worker runs it. */
export interface ExtractionStrategy {
  /** Recorded in provenance (`metadata.source.strategy`) and part of each memory's id. */
  readonly name: string;
  /**
   * `appended`: over the messages of each `session.appended` event; `session`: over the whole
   * session's window (and summary), when `worker.summarizeSession()` is called.
   */
  readonly over: 'appended' | 'session';
  /** One memory per session (its id leaves out text and sources): a rerun replaces it. */
  readonly perSession: boolean;
  /** What provenance names as the extractor; default the worker's extractor's name. */
  readonly extractorName?: string;
  /** The memories for `input` (already checked when this returns). */
  run(input: ExtractionInput, extractor: Extractor): Promise<ExtractedMemory[]>;
}

const viaExtractor = (name: BuiltinStrategy, over: ExtractionStrategy['over'], perSession: boolean): ExtractionStrategy => ({
  name,
  over,
  perSession,
  run: (input, extractor) => runExtractor(extractor, { ...input, strategy: name }),
});

/** Discrete facts the user states about themself ("The user is allergic to peanuts"), per append. */
export const factsStrategy: ExtractionStrategy = viaExtractor('facts', 'appended', false);
/** Likes, dislikes and preferences of the user, per append. */
export const preferencesStrategy: ExtractionStrategy = viaExtractor('preferences', 'appended', false);
/** A short account of a whole session, one per session, on `summarizeSession()`. */
export const episodeStrategy: ExtractionStrategy = viaExtractor('episode', 'session', true);

const BUILTINS: Record<BuiltinStrategy, ExtractionStrategy> = {
  facts: factsStrategy,
  preferences: preferencesStrategy,
  episode: episodeStrategy,
};

const isFunction = (v: unknown) => typeof v === 'function';

const CustomStrategySchema = z
  .object({
    /** 1–64 of a–z 0–9 _ -, starting with a letter; not a built-in name. */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be 1–64 of a–z 0–9 _ -, starting with a letter')
      .refine((n) => !(BUILTIN_STRATEGIES as readonly string[]).includes(n), 'is the name of a built-in strategy'),
    /** Your function: the memories in the messages (checked like an extractor's reply). */
    run: z
      .custom<(messages: ExtractionInput['messages'], input: ExtractionInput) => ExtractedMemory[] | Promise<ExtractedMemory[]>>(
        isFunction,
        'must be a function',
      )
      .optional(),
    /** Or instructions for a model extractor (the rules extractor returns nothing for them). */
    prompt: z.string().min(1).max(20_000).optional(),
    over: z.enum(['appended', 'session']).default('appended'),
    perSession: z.boolean().default(false),
  })
  .strict()
  .refine((o) => (o.run === undefined) !== (o.prompt === undefined), { message: 'give exactly one of run and prompt' });

export type CustomStrategyOptions = z.input<typeof CustomStrategySchema>;

/**
 * A strategy of your own: a function over the messages, or a prompt for the worker's model extractor.
 *
 * @example customStrategy({ name: 'travel', prompt: 'Extract the user’s travel plans: dates, places.' })
 */
export function customStrategy(options: CustomStrategyOptions): ExtractionStrategy {
  const o = parseInput(CustomStrategySchema, options, 'custom strategy');
  const { run, prompt } = o;
  if (run) {
    return {
      name: o.name,
      over: o.over,
      perSession: o.perSession,
      extractorName: 'function',
      run: async (input) => checkExtracted(await run(input.messages, { ...input, strategy: o.name }), input, `function ${o.name}`),
    };
  }
  return {
    name: o.name,
    over: o.over,
    perSession: o.perSession,
    run: (input, extractor) => runExtractor(extractor, { ...input, strategy: o.name, instructions: prompt }),
  };
}

/** The strategies a worker runs: built-ins by name, others as given; default all three built-ins. */
export function resolveStrategies(list: readonly (BuiltinStrategy | ExtractionStrategy)[] | undefined): ExtractionStrategy[] {
  const strategies = (list ?? BUILTIN_STRATEGIES).map((s, i) => {
    if (typeof s === 'string') {
      const builtin = BUILTINS[s];
      if (!builtin)
        throw new InvalidArgumentError('extraction strategies', [
          {
            path: String(i),
            message: `is not a built-in strategy (${BUILTIN_STRATEGIES.join(', ')}); pass customStrategy(...) for your own`,
          },
        ]);
      return builtin;
    }
    if (typeof s !== 'object' || s === null || typeof s.run !== 'function' || typeof s.name !== 'string')
      throw new InvalidArgumentError('extraction strategies', [{ path: String(i), message: 'must be a built-in name or a strategy' }]);
    return s;
  });
  if (strategies.length === 0) throw new InvalidArgumentError('extraction strategies', [{ path: '', message: 'must not be empty' }]);
  const names = strategies.map((s) => s.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined)
    throw new InvalidArgumentError('extraction strategies', [{ path: '', message: `name ${repeated} more than once` }]);
  return strategies;
}

// The offline extractor: a small set of patterns over what the user says about themself ("my name
// is…", "I am allergic to…", "I love…"), turned into third-person facts and preferences, and a
// deterministic episode summary. No network, no model: for the demo, the tests and a safe default.
// It must rather miss a fact than invent one: questions, negations and other people's facts are skipped.
import type { Message } from '../session/message.js';
import { type ExtractedMemory, type ExtractionInput, type Extractor, messageText, normalizeText } from './extractor.js';

interface Rule {
  kind: 'fact' | 'preference';
  pattern: RegExp;
  /** The memory's text from the pattern's groups, or undefined to skip (an object that says nothing). */
  text: (groups: string[]) => string | undefined;
  importance: number;
  tags?: string[];
}

const THIRD_PERSON: Record<string, string> = {
  like: 'likes',
  love: 'loves',
  enjoy: 'enjoys',
  prefer: 'prefers',
  adore: 'adores',
  hate: 'hates',
  dislike: 'dislikes',
  detest: 'detests',
  "can't stand": 'cannot stand',
  'cannot stand': 'cannot stand',
};

/** Objects that name nothing on their own ("I like it"). */
const EMPTY_OBJECTS = new Set(['it', 'that', 'this', 'them', 'those', 'these', 'you', 'him', 'her', 'one', 'so', 'there', 'here']);
/** Words after which the rest of a clause is a reason or a condition, not part of the object. */
const OBJECT_END =
  /(?:,?\s+(?:because|since|when|whenever|if|though|although|but|while|unless)\b|,\s*(?:just so you know|so you know|btw|by the way|you know|please|thanks|thank you|anyway|lol)\b|\s+[-–—(]).*$/i;
const FILLER_END = /\s+(?:too|as well|a lot|very much|so much|really|anyway)$/i;
const MAX_OBJECT_WORDS = 8;

/** The object of a clause, in the third person, or undefined when it is empty, vague or too long. */
function object(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let text = raw
    .replace(OBJECT_END, '')
    .replace(/[\s,;:]+$/, '')
    .trim();
  for (let before = ''; before !== text; ) {
    before = text;
    text = text.replace(FILLER_END, '').trim();
  }
  if (text === '' || EMPTY_OBJECTS.has(text.toLowerCase())) return undefined;
  // "I like how I…": a clause about the user inside the object is beyond a pattern's reach.
  if (/\b(?:i|i'm|i've|i'd)\b/i.test(text)) return undefined;
  if (text.split(/\s+/).length > MAX_OBJECT_WORDS) return undefined;
  return text
    .replace(/\bmy\b/gi, 'their')
    .replace(/\bmine\b/gi, 'theirs')
    .replace(/\bmyself\b/gi, 'themselves')
    .replace(/\bme\b/gi, 'them');
}

const NAME_STOP = new Set(['and', 'but', 'by', 'from', 'the', 'btw', 'i', 'im', 'not', 'so', 'just', 'also', 'here', 'now']);

/** Up to three name words, capitalized; undefined when the first is not a name ("my name is not…"). */
function personName(raw: string | undefined): string | undefined {
  const words: string[] = [];
  for (const word of (raw ?? '').split(/\s+/)) {
    if (!/^\p{L}[\p{L}'-]*$/u.test(word) || NAME_STOP.has(word.toLowerCase()) || words.length === 3) break;
    words.push(word.charAt(0).toUpperCase() + word.slice(1));
  }
  return words.length > 0 ? words.join(' ') : undefined;
}

const AM = "(?:i'm|im|i am)";

const RULES: Rule[] = [
  { kind: 'fact', pattern: /^my name is (.+)$/i, text: ([n]) => mapped(personName(n), (x) => `The user's name is ${x}`), importance: 0.8 },
  {
    kind: 'fact',
    pattern: new RegExp(`^${AM} called (.+)$`, 'i'),
    text: ([n]) => mapped(personName(n), (x) => `The user's name is ${x}`),
    importance: 0.8,
  },
  {
    kind: 'fact',
    pattern: /^(?:please |you can |just )?call me (.+)$/i,
    text: ([n]) => mapped(personName(n), (x) => `The user wants to be called ${x}`),
    importance: 0.8,
  },
  {
    kind: 'fact',
    pattern: new RegExp(`^(?:i live|${AM} (?:living|based)) in (.+)$`, 'i'),
    text: ([o]) => mapped(object(o), (x) => `The user lives in ${x}`),
    importance: 0.7,
  },
  {
    kind: 'fact',
    pattern: new RegExp(`^(?:${AM}|i come) from (.+)$`, 'i'),
    text: ([o]) => mapped(object(o), (x) => `The user is from ${x}`),
    importance: 0.6,
  },
  {
    kind: 'fact',
    pattern: new RegExp(`^${AM} (?:severely |very |highly |deathly )?allergic to (.+)$`, 'i'),
    text: ([o]) => mapped(object(o), (x) => `The user is allergic to ${x}`),
    importance: 0.9,
    tags: ['health'],
  },
  {
    kind: 'fact',
    pattern: /^i have an? (.+?) allergy$/i,
    text: ([o]) => mapped(object(o), (x) => `The user is allergic to ${x}`),
    importance: 0.9,
    tags: ['health'],
  },
  {
    kind: 'fact',
    pattern: /^i work (at|for) (.+)$/i,
    text: ([, o]) => mapped(object(o), (x) => `The user works at ${x}`),
    importance: 0.7,
  },
  {
    kind: 'fact',
    pattern: /^i work as (.+)$/i,
    text: ([o]) => mapped(object(o), (x) => `The user works as ${x}`),
    importance: 0.7,
  },
  {
    kind: 'fact',
    pattern: new RegExp(`^${AM} (?:a |an )?(vegetarian|vegan|pescatarian)$`, 'i'),
    text: ([d]) => `The user is ${d!.toLowerCase()}`,
    importance: 0.8,
    tags: ['diet'],
  },
  {
    kind: 'preference',
    pattern: /^i (?:really |also |absolutely |just |do )?(like|love|enjoy|prefer|adore) (.+)$/i,
    text: ([v, o]) => mapped(object(o), (x) => `The user ${THIRD_PERSON[v!.toLowerCase()]} ${x}`),
    importance: 0.6,
  },
  {
    kind: 'preference',
    pattern: /^i (?:really )?(?:don't|do not|dont) (?:really )?(like|love|enjoy) (.+)$/i,
    text: ([v, o]) => mapped(object(o), (x) => `The user does not ${v!.toLowerCase()} ${x}`),
    importance: 0.6,
  },
  {
    kind: 'preference',
    pattern: /^i (?:really |absolutely )?(hate|dislike|detest|can't stand|cannot stand) (.+)$/i,
    text: ([v, o]) => mapped(object(o), (x) => `The user ${THIRD_PERSON[v!.toLowerCase()]} ${x}`),
    importance: 0.6,
  },
  {
    kind: 'preference',
    pattern: /^my favou?rite ([\p{L}\s-]{1,40}?) is (.+)$/iu,
    text: ([what, o]) => mapped(object(o), (x) => `The user's favorite ${what!.toLowerCase()} is ${x}`),
    importance: 0.6,
  },
];

function mapped<T>(value: T | undefined, f: (value: T) => string): string | undefined {
  return value === undefined ? undefined : f(value);
}

const QUESTION_START =
  /^(?:do|does|did|can|could|would|will|should|shall|is|are|am|was|were|have|has|what|where|who|whom|whose|why|how|when|which)\b/i;
const INTERJECTIONS =
  /^(?:(?:hi|hello|hey|well|oh|so|also|actually|btw|by the way|and|but|ok|okay|yes|yeah|no|anyway|just so you know|fyi|for the record)\b[\s,!.:-]*)+/i;
/** Where a sentence holds a new clause about the user: before "I", "my", "call me" after a comma or a conjunction. */
const CLAUSE_BREAK = /(?:\s*[,;:]\s*|\s+[-–—]\s+|\s*\b(?:and|but|also|so|plus)\b\s*)+(?=(?:i|i'm|im|my|call me)\b)/i;

/** The clauses of a message the user states (questions left out), interjections stripped. */
export function statedClauses(text: string): string[] {
  const clauses: string[] = [];
  const flat = text.replace(/[’‘]/g, "'");
  for (const sentence of flat.split(/(?<=[.!?])\s+|\n+/)) {
    const s = sentence.trim();
    if (s === '' || /\?\s*$/.test(s) || QUESTION_START.test(s)) continue;
    for (const part of s.replace(/[.!]+$/, '').split(CLAUSE_BREAK)) {
      const clause = part.replace(INTERJECTIONS, '').trim();
      if (clause !== '') clauses.push(clause);
    }
  }
  return clauses;
}

/** The facts or preferences the user states in `messages` (user messages only), one per text. */
export function extractByRules(messages: readonly Message[], kind: 'fact' | 'preference'): ExtractedMemory[] {
  const byText = new Map<string, ExtractedMemory>();
  for (const message of messages) {
    if (message.role !== 'user') continue;
    for (const clause of statedClauses(messageText(message))) {
      for (const rule of RULES) {
        if (rule.kind !== kind) continue;
        const match = rule.pattern.exec(clause);
        if (!match) continue;
        const text = rule.text(match.slice(1));
        if (text === undefined) break;
        const key = normalizeText(text);
        const known = byText.get(key);
        if (known) {
          if (!known.sourceMessageIds.includes(message.id)) known.sourceMessageIds.push(message.id);
        } else {
          byText.set(key, {
            text,
            kind,
            importance: rule.importance,
            sourceMessageIds: [message.id],
            ...(rule.tags ? { tags: [...rule.tags] } : {}),
          });
        }
        break;
      }
    }
  }
  return [...byText.values()];
}

const STOPWORDS = new Set(
  `about above after again also always anything back been before being below between both can't cannot could didn't does doesn't doing don't down during each even every from further hadn't hasn't have haven't having he'd he'll he's here here's hers herself himself how's into isn't it's its itself just know let's like make many more most much must mustn't myself need never once only other ought ours ourselves over own please really same shan't she'd she'll she's should shouldn't some such sure than that that's thank thanks their theirs them themselves then there there's these they they'd they'll they're they've thing think this those through today tomorrow under until very want wasn't we'd we'll we're we've well were weren't what what's when when's where where's which while who's whom why why's will with won't would wouldn't yeah yes you'd you'll you're you've your yours yourself yourselves`.split(
    ' ',
  ),
);

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s.,;:!?]+$/, '')}…`;
}

/** The most frequent content words of the user's messages (ties: first said first). */
function topics(messages: readonly Message[], count: number): string[] {
  const seen = new Map<string, { n: number; first: number }>();
  let position = 0;
  for (const m of messages) {
    for (const word of messageText(m)
      .toLowerCase()
      .replace(/[’]/g, "'")
      .match(/\p{L}[\p{L}'-]*/gu) ?? []) {
      position++;
      if (word.length < 4 || STOPWORDS.has(word)) continue;
      const entry = seen.get(word);
      if (entry) entry.n++;
      else seen.set(word, { n: 1, first: position });
    }
  }
  return [...seen]
    .sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first)
    .slice(0, count)
    .map(([w]) => w);
}

/**
 * A deterministic short account of a conversation: when, how long, how it began, its most
 * frequent words, and the running summary of what was trimmed from it, if any.
 */
export function episodeByRules(messages: readonly Message[], summary: string | null): ExtractedMemory[] {
  if (messages.length === 0) return [];
  const fromUser = messages.filter((m) => m.role === 'user');
  const opening = fromUser[0] ?? messages[0]!;
  const day = new Date(Math.min(...messages.map((m) => m.createdAt))).toISOString().slice(0, 10);
  const about = topics(fromUser.length > 0 ? fromUser : messages, 5);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  let text = `Conversation on ${day} (${plural(messages.length, 'message')}, ${fromUser.length} from the user) that began with: "${truncate(messageText(opening), 160)}".`;
  if (about.length > 0) text += ` Topics: ${about.join(', ')}.`;
  if (summary) text += ` Earlier in it: ${truncate(summary, 300)}`;
  return [{ text, kind: 'episode', importance: 0.4, sourceMessageIds: messages.map((m) => m.id) }];
}

/**
 * The rule-based extractor: `facts` and `preferences` by pattern over user messages, `episode` as
 * a deterministic summary. A custom strategy gets nothing from it (give the strategy a `run`, or
 * use a model extractor for prompts).
 *
 * @example const worker = memory.extraction({ extractor: rulesExtractor(), longTerm });
 */
export function rulesExtractor(): Extractor {
  return {
    name: 'rules',
    extract: async (input: ExtractionInput) => {
      switch (input.strategy) {
        case 'facts':
          return extractByRules(input.messages, 'fact');
        case 'preferences':
          return extractByRules(input.messages, 'preference');
        case 'episode':
          return episodeByRules(input.messages, input.summary);
        default:
          return [];
      }
    },
  };
}

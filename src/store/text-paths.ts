// Which texts of a document get embedded: JSON paths as LangGraph writes them (`$` the whole
// document, `title`, `meta.title`, `chapters[*].text`, `authors[0]`, `tags[-1]`, `{title,summary}`,
// `*`). Pure: never embeds, never touches Redis.

/** A path split into its steps: names, `[index]`, `{a,b}` groups. */
export function tokenizeTextPath(path: string): string[] {
  const tokens: string[] = [];
  let name = '';
  const flush = () => {
    if (name) tokens.push(name);
    name = '';
  };
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '[' || c === '{') {
      flush();
      const close = c === '[' ? ']' : '}';
      let depth = 1;
      let j = i + 1;
      while (j < path.length && depth > 0) {
        if (path[j] === c) depth++;
        else if (path[j] === close) depth--;
        j++;
      }
      tokens.push(path.slice(i, j));
      i = j - 1;
    } else if (c === '.') flush();
    else name += c;
  }
  flush();
  return tokens;
}

const asText = (v: unknown): string[] => {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (v === null || v === undefined) return [];
  return typeof v === 'object' ? [JSON.stringify(v, null, 2)] : [];
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function walk(node: unknown, tokens: readonly string[], at: number): string[] {
  if (at >= tokens.length) return asText(node);
  const token = tokens[at]!;
  if (at === 0 && token === '$') return [JSON.stringify(node, null, 2)];
  if (token.startsWith('[') && token.endsWith(']')) {
    if (!Array.isArray(node)) return [];
    const index = token.slice(1, -1);
    if (index === '*') return node.flatMap((item) => walk(item, tokens, at + 1));
    let i = Number.parseInt(index, 10);
    if (Number.isNaN(i)) return [];
    if (i < 0) i += node.length;
    return i >= 0 && i < node.length ? walk(node[i], tokens, at + 1) : [];
  }
  if (token.startsWith('{') && token.endsWith('}')) {
    if (!isObject(node)) return [];
    return token
      .slice(1, -1)
      .split(',')
      .map((f) => f.trim())
      .flatMap((field) => {
        let current: unknown = node;
        for (const step of tokenizeTextPath(field)) {
          if (!isObject(current) || !(step in current)) return [];
          current = current[step];
        }
        return asText(current);
      });
  }
  if (token === '*') {
    if (Array.isArray(node)) return node.flatMap((item) => walk(item, tokens, at + 1));
    return isObject(node) ? Object.values(node).flatMap((v) => walk(v, tokens, at + 1)) : [];
  }
  return isObject(node) && token in node ? walk(node[token], tokens, at + 1) : [];
}

/**
 * The texts at `path` in `value`: strings, numbers and booleans as text, objects and arrays as
 * indented JSON, nothing for missing values. `$` (or an empty path) is the whole value as JSON.
 */
export function textsAtPath(value: unknown, path: string): string[] {
  if (!path || path === '$') return [JSON.stringify(value, null, 2)];
  return walk(value, tokenizeTextPath(path), 0);
}

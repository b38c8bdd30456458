// The paths that pick the texts to embed, table-driven against the exact texts expected.
import { describe, expect, it } from 'vitest';
import { textsAtPath, tokenizeTextPath } from '../../src/store/text-paths.js';

const doc = {
  title: 'Trains',
  n: 3,
  ok: true,
  none: null,
  meta: { lang: 'en', tags: ['a', 'b'] },
  chapters: [{ text: 'one' }, { text: 'two' }, { other: 1 }],
};

describe('textsAtPath', () => {
  it.each([
    ['title', ['Trains']],
    ['n', ['3']],
    ['ok', ['true']],
    ['none', []],
    ['missing', []],
    ['meta.lang', ['en']],
    ['meta.tags', [JSON.stringify(['a', 'b'], null, 2)]],
    ['meta.tags[*]', ['a', 'b']],
    ['meta.tags[-1]', ['b']],
    ['meta.tags[5]', []],
    ['chapters[*].text', ['one', 'two']],
    ['chapters[0].text', ['one']],
    ['{title,meta.lang}', ['Trains', 'en']],
    ['meta.*', ['en', JSON.stringify(['a', 'b'], null, 2)]],
    ['title[0]', []],
  ] as const)('%s', (path, expected) => {
    expect(textsAtPath(doc, path)).toEqual(expected);
  });

  it('takes $ (or an empty path) as the whole document', () => {
    expect(textsAtPath({ a: 1 }, '$')).toEqual(['{\n  "a": 1\n}']);
    expect(textsAtPath({ a: 1 }, '')).toEqual(['{\n  "a": 1\n}']);
  });

  it('tokenizes names, indexes and groups', () => {
    expect(tokenizeTextPath('a.b[*].c{d,e.f}')).toEqual(['a', 'b', '[*]', 'c', '{d,e.f}']);
  });
});

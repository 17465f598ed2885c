import { describe, expect, it } from 'vitest';
import { findTextProblem, MAX_DEPTH, textProblem } from '../../src/ingest/storable-text.js';

// 🚀 is U+1F680: in UTF-16 the pair \ud83d \ude80; either half alone is not text.
const ROCKET = '\ud83d\ude80';

describe('text that can be stored', () => {
  it('takes whole characters, surrogate pairs included, and refuses NUL and lone halves', () => {
    expect(['', 'acme', `go ${ROCKET}`, 'é', '\u00a0', '\uffff'].map(textProblem)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(textProblem('a\u0000b')).toMatch(/NUL/);
    // A high half at the end, a low half at the start, a pair in the wrong order, a high half before a letter.
    for (const lone of ['go \ud83d', '\ude80 go', '\ude80\ud83d', '\ud83dx'])
      expect(textProblem(lone), JSON.stringify(lone)).toMatch(/lone UTF-16 surrogate/);
  });

  it('names the first bad key or value by its path, at any depth, and refuses deep nesting', () => {
    expect(findTextProblem({ a: [1, 'ok', { b: ROCKET }], c: null }, 'properties')).toBeNull();
    expect(findTextProblem({ a: [1, 'ok', { b: 'x\u0000' }] }, 'properties')).toMatchObject({
      path: 'properties.a[2].b',
    });
    // A bad key is shown as JSON escapes it, so the message itself is valid text.
    expect(findTextProblem({ 'k\ud800': 1 }, 'traits')).toMatchObject({
      path: 'traits.k\\ud800',
      reason: expect.stringMatching(/^the key contains a lone/),
    });
    expect(findTextProblem({ userId: 'u\u0000' }, '')).toMatchObject({ path: 'userId' });
    // MAX_DEPTH levels of objects below the root are refused; one fewer is fine.
    const nest = (levels: number) => {
      let value: unknown = 'leaf';
      for (let i = 0; i < levels; i++) value = { n: value };
      return value;
    };
    expect(findTextProblem(nest(MAX_DEPTH), 'p')).toBeNull();
    expect(findTextProblem(nest(MAX_DEPTH + 1), 'p')?.reason).toMatch(/nested more than 32 levels/);
  });
});

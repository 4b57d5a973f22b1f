// The stepwise parser must be JSON.parse, only interruptible: same values, same refusals, same depth rule; and, as
// parseJson, it refuses numbers beyond a double's range, which JSON.parse reads as Infinity.
import { expect } from 'chai';
import { NumberTooLargeError, UnparseableBodyError } from '../../schemas/errors.ts';
import { parseJson, parseJsonText } from './body.ts';
import { parseJsonInSteps } from './json-steps.ts';

async function refusal(text: string, maxDepth = 32): Promise<unknown> {
  return parseJsonInSteps(text, maxDepth).then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A random JSON value: objects, arrays, strings with escapes and non-ASCII, numbers of every shape. */
function randomValue(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 4 ? 4 : 6));
  const strings = ['', 'rlx', 'é\u2028"\\/\n\t', '\ud83d\ude00', '__proto__', 'a\u0000b'];
  switch (pick) {
    case 0:
      return strings[Math.floor(random() * strings.length)];
    case 1:
      return [0, -0, 1.5, -2e-7, 1e21, 123456789012345680000, 6.283185307179586][Math.floor(random() * 7)];
    case 2:
      return [true, false, null][Math.floor(random() * 3)];
    case 3:
      return Math.round(random() * 1e6) / 1e3;
    case 4:
      return Array.from({ length: Math.floor(random() * 5) }, () => randomValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, (_, i) => [strings[(i + depth) % strings.length]!, randomValue(random, depth + 1)]));
  }
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('parseJsonInSteps', () => {
  it('gives exactly what JSON.parse gives, whitespace and all', async () => {
    const random = seeded(7);
    for (let i = 0; i < 300; i += 1) {
      const text = JSON.stringify(randomValue(random), null, i % 3 === 0 ? undefined : '\t \r\n'.slice(i % 4));
      expect(await parseJsonInSteps(text, 32)).to.deep.equal(JSON.parse(text));
    }
    for (const text of [' 1 ', '-0', '1E+2', '0.5e-3', '1e-400', '"\\u00e9\\ud83d\\ude00"', '{"__proto__": {"x": 1}}', '[[], {}, [{}]]']) {
      expect(await parseJsonInSteps(text, 32)).to.deep.equal(JSON.parse(text));
    }
    expect(Object.getPrototypeOf(await parseJsonInSteps('{"__proto__": {"x": 1}}', 32))).to.equal(Object.prototype);
  });

  it('refuses what JSON.parse refuses, with the same error as the one-step parse', async () => {
    const broken = ['', ' ', '[1,]', '{"a":1,}', '01', '1.', '.5', '+1', '-', 'NaN', "'a'", '"a', '"\\x"', '"a\u0001"', '[1]x', '{1:2}', '{"a" 1}', 'tru', 'nul', '[', '{"a":', '1 2'];
    for (const text of broken) {
      expect(() => JSON.parse(text), text).to.throw();
      const error = await refusal(text);
      expect(error, text).to.be.instanceOf(UnparseableBodyError);
      expect((error as Error).message).to.equal(new UnparseableBodyError().message);
    }
    // Every single-character corruption of a valid text is accepted or refused exactly as JSON.parse does.
    const text = JSON.stringify({ experiment_0: { instructions: [['rlx', [0], [1.5e-3]]], shots: 5, seed: null, ok: true } });
    for (let i = 0; i < text.length; i += 1) {
      for (const c of [',', '"', '}', ']', '0', ' ', '\\', 'e', '-']) {
        const corrupted = text.slice(0, i) + c + text.slice(i + 1);
        let expected: unknown;
        try {
          expected = JSON.parse(corrupted);
        } catch {
          expected = UnparseableBodyError;
        }
        if (expected === UnparseableBodyError) expect(await refusal(corrupted), corrupted).to.be.instanceOf(UnparseableBodyError);
        else expect(await parseJsonInSteps(corrupted, 32), corrupted).to.deep.equal(expected);
      }
    }
  });

  it('applies the depth limit of parseJsonText', async () => {
    expect(await parseJsonInSteps('[[[1]]]', 3)).to.deep.equal([[[1]]]);
    expect(((await refusal('[[[[1]]]]', 3)) as Error).message).to.equal('JSON nested deeper than 3 levels');
    expect(() => parseJsonText('[[[[1]]]]', 3)).to.throw('JSON nested deeper than 3 levels');
  });

  it('refuses a number beyond a double\'s range where it stands, as sent, in steps or not', async () => {
    for (const parse of [parseJsonInSteps, parseJson]) {
      for (const [text, path, sent] of [
        ['1e309', [], '1e309'],
        ['{"a":[0,{"b":-1.5E+400}]}', ['a', 1, 'b'], '-1.5E+400'],
        [`[1, 2, ${'9'.repeat(320)}]`, [2], `${'9'.repeat(39)}…`],
      ] as const) {
        const error = await parse(text, 32).then(() => undefined, (caught: unknown) => caught);
        expect(error, text).to.be.instanceOf(NumberTooLargeError);
        expect((error as NumberTooLargeError).problems, text).to.deep.equal([{ type: 'number_too_large', loc: ['body', ...path], msg: `${sent} is a number too large (beyond ±1.7976931348623157e308)` }]);
      }
      expect(await parse('[1e-400, -0, 1.7976931348623157e308]', 32)).to.deep.equal([0, -0, Number.MAX_VALUE]);
    }
  });

  it('lets timers run while it parses a large text', async () => {
    const text = JSON.stringify(Array.from({ length: 200_000 }, (_, i) => ['rlx', [i % 5], [i / 7]]));
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    const value = await parseJsonInSteps(text, 32);
    clearInterval(timer);
    expect(value).to.deep.equal(JSON.parse(text));
    expect(ticks).to.be.greaterThan(0);
  });
});

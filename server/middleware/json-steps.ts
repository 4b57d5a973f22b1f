// JSON.parse for large request bodies, in steps with the event loop free between them. JSON.parse holds the only
// thread for ~50–100 ms per 2 MB on a busy machine; four such bodies at once kept /healthz waiting for half a second
// (issue 17). A worker thread would not help: handing the parsed value back costs the main thread as much as
// parsing. So structure is walked here, a few milliseconds at a time; strings with escapes are decoded by JSON.parse
// itself and numbers by Number after a strict match of JSON's grammar, so values and errors agree with the one-step
// parse, except that a number beyond a double's range is refused where it stands (NumberTooLargeError). The
// scanning allocates nothing but the values: garbage collection was most of the time at first.
import { NumberTooLargeError, UnparseableBodyError } from '../../schemas/errors.ts';

/** Time one step may take before the parser lets other callbacks run. */
const STEP_MS = 2;
const isDigit = (c: number) => c >= 48 && c <= 57;

type Container = { value: Record<string, unknown> | unknown[]; key?: string };

function setMember(target: Record<string, unknown>, key: string, value: unknown): void {
  // JSON.parse makes "__proto__" an own property; plain assignment would replace the prototype instead.
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/** Parses `text` like parseJsonText (same depth rule, same errors), yielding to the event loop every few ms. */
export async function parseJsonInSteps(text: string, maxDepth: number, message?: string): Promise<unknown> {
  const fail = (depth = false): never => {
    throw new UnparseableBodyError(depth ? `JSON nested deeper than ${maxDepth} levels` : message);
  };
  let position = 0;
  const skipWhitespace = () => {
    for (let c = text.charCodeAt(position); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++position));
  };
  /** A string token starting at `position`: raw control characters refused, escapes left to JSON.parse. */
  const readString = (): string => {
    let escaped = false;
    let end = position + 1;
    for (let c = text.charCodeAt(end); c !== 34; c = text.charCodeAt(++end)) {
      if (Number.isNaN(c) || c < 32) fail();
      if (c === 92) {
        escaped = true;
        end += 1;
      }
    }
    const start = position;
    position = end + 1;
    if (!escaped) return text.slice(start + 1, end);
    try {
      return JSON.parse(text.slice(start, end + 1)) as string;
    } catch {
      return fail();
    }
  };
  /** Digits from `position`, at least one unless `optional`. */
  const digits = (optional = false) => {
    const start = position;
    while (isDigit(text.charCodeAt(position))) position += 1;
    if (!optional && position === start) fail();
  };
  /** -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
  const readNumber = (): number => {
    const start = position;
    if (text.charCodeAt(position) === 45) position += 1;
    if (text.charCodeAt(position) === 48) position += 1;
    else digits();
    if (text.charCodeAt(position) === 46) {
      position += 1;
      digits();
    }
    if ((text.charCodeAt(position) | 32) === 101) {
      position += 1;
      if (text.charCodeAt(position) === 43 || text.charCodeAt(position) === 45) position += 1;
      digits();
    }
    const number = Number(text.slice(start, position));
    if (!Number.isFinite(number)) throw new NumberTooLargeError(placeOfNext(), text.slice(start, position));
    return number;
  };
  const literal = (word: string, value: unknown): unknown => {
    if (!text.startsWith(word, position)) fail();
    position += word.length;
    return value;
  };
  const readScalar = (): unknown => {
    switch (text.charCodeAt(position)) {
      case 34:
        return readString();
      case 116:
        return literal('true', true);
      case 102:
        return literal('false', false);
      case 110:
        return literal('null', null);
      default:
        return readNumber();
    }
  };

  const stack: Container[] = [];
  /** Where the value being read goes: the keys and indexes from the root. */
  const placeOfNext = () => stack.map((c) => (Array.isArray(c.value) ? c.value.length : c.key!));
  let root: unknown;
  let done = false;
  let stepStart = performance.now();
  let tokens = 0;
  /** Places a finished value in its container (or as the root); true when it was the root. */
  const place = (value: unknown): boolean => {
    const top = stack[stack.length - 1];
    if (!top) {
      root = value;
      return true;
    }
    if (Array.isArray(top.value)) top.value.push(value);
    else setMember(top.value, top.key!, value);
    return false;
  };

  skipWhitespace();
  while (!done) {
    if (++tokens % 256 === 0 && performance.now() - stepStart > STEP_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      stepStart = performance.now();
    }
    const top = stack[stack.length - 1];
    // Inside an object, each member starts with its key.
    if (top && !Array.isArray(top.value)) {
      if (text[position] !== '"') fail();
      top.key = readString();
      skipWhitespace();
      if (text[position] !== ':') fail();
      position += 1;
      skipWhitespace();
    }
    const c = text[position];
    let finished: unknown;
    if (c === '{' || c === '[') {
      if (stack.length + 1 > maxDepth) fail(true);
      position += 1;
      skipWhitespace();
      const empty = text[position] === (c === '{' ? '}' : ']');
      const value = c === '{' ? {} : [];
      if (!empty) {
        stack.push({ value });
        continue;
      }
      position += 1;
      finished = value;
    } else {
      finished = readScalar();
    }
    // Close every container the value completes.
    for (;;) {
      done = place(finished);
      if (done) break;
      skipWhitespace();
      const parent = stack[stack.length - 1]!;
      const close = Array.isArray(parent.value) ? ']' : '}';
      if (text[position] === ',') {
        position += 1;
        skipWhitespace();
        break;
      }
      if (text[position] !== close) fail();
      position += 1;
      stack.pop();
      finished = parent.value;
    }
  }
  skipWhitespace();
  if (position !== text.length) fail();
  return root;
}

// A regular-expression engine for AJV whose matching time is linear in the input (RE2's algorithm, pure JS). Job
// schemas are written by labs and published by their spoolers; a pattern with nested quantifiers (`^(a+)+$`) run by
// JavaScript's backtracking RegExp lets one crafted submission hold the server's event loop for seconds per
// character. RE2 has no lookarounds or backreferences: a schema using them does not compile, and its backend is
// refused with that reason instead of being served with a pattern that could stall everyone.
import type { Options } from 'ajv';
import { RE2JS } from 're2js';

type RegExpEngine = NonNullable<NonNullable<Options['code']>['regExp']>;

export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => {
    const compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
    // AJV shares compiled patterns between schemas by this text: it must name the pattern.
    const text = `/${pattern}/${flags}`;
    return { test: (input: string) => compiled.test(input), toString: () => text };
  },
  { code: 'linearRegExp' },
);

// Strict reader for route arguments: unknown fields and wrong types are 400s, as with Dropbox's Stone decoder.
import { badInput } from './errors.ts';
import { isJsonObject } from './http-util.ts';
import type { JsonObject } from './http-util.ts';
import type { WriteMode } from './store.ts';

/** Where the argument JSON came from; Dropbox names it in its 400 messages. */
export type ArgSource = 'request body' | 'HTTP header "Dropbox-API-Arg"';

export class ArgReader {
  constructor(
    private readonly route: string,
    private readonly source: ArgSource,
    private readonly args: JsonObject,
    allowedFields: readonly string[],
  ) {
    for (const key of Object.keys(args)) {
      if (!allowedFields.includes(key)) throw this.fail(`unknown field '${key}'`);
    }
  }

  fail(detail: string): Error {
    return badInput(this.route, `${this.source}: ${detail}`);
  }

  requiredString(name: string): string {
    const value = this.args[name];
    if (value === undefined || value === null) throw this.fail(`missing required field '${name}'`);
    if (typeof value !== 'string') throw this.fail(`${name}: expected string, got ${describe(value)}`);
    return value;
  }

  optionalString(name: string): string | undefined {
    const value = this.args[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.fail(`${name}: expected string, got ${describe(value)}`);
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.args[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') throw this.fail(`${name}: expected boolean, got ${describe(value)}`);
    return value;
  }

  optionalInt(name: string, min: number, max: number): number | undefined {
    const value = this.args[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw this.fail(`${name}: expected integer, got ${describe(value)}`);
    if (value < min || value > max) throw this.fail(`${name}: ${value} is not within [${min}, ${max}]`);
    return value;
  }

  /** Checks a path against the route's Stone pattern (the same regexes the API spec declares). */
  path(name: string, kind: 'write' | 'read' | 'list', optional = false): string | undefined {
    const value = optional ? this.optionalString(name) : this.requiredString(name);
    if (value === undefined) return undefined;
    const pattern = PATH_PATTERNS[kind];
    if (!new RegExp(`^(?:${pattern})$`).test(value)) {
      throw this.fail(`${name}: '${value}' did not match pattern '${pattern}'`);
    }
    if (value === '/' && kind === 'list') throw this.fail(`${name}: Specify the root folder as an empty string rather than as "/".`);
    return value;
  }

  /** WriteMode: "add" | "overwrite" | {".tag": "add"|"overwrite"} | {".tag": "update", "update": rev}. */
  writeMode(name: string): WriteMode {
    const value = this.args[name];
    if (value === undefined || value === null || value === 'add') return { kind: 'add' };
    if (value === 'overwrite') return { kind: 'overwrite' };
    if (!isJsonObject(value)) throw this.fail(`${name}: expected union WriteMode, got ${describe(value)}`);
    const tag = value['.tag'];
    if (tag === 'add') return { kind: 'add' };
    if (tag === 'overwrite') return { kind: 'overwrite' };
    if (tag === 'update') {
      const rev = value.update;
      if (typeof rev !== 'string' || !/^[0-9a-f]{9,}$/.test(rev)) throw this.fail(`${name}.update: invalid rev`);
      return { kind: 'update', rev };
    }
    throw this.fail(`${name}: unknown tag '${String(tag)}'`);
  }
}

/** From files.stone: WritePathOrId, ReadPath, PathROrId ("ns:" forms are accepted but never match anything). */
const PATH_PATTERNS = {
  write: '(/(.|[\\r\\n])*)|(ns:[0-9]+(/(.|[\\r\\n])*)?)|(id:.*)',
  read: '(/(.|[\\r\\n])*|id:.*)|(rev:[0-9a-f]{9,})|(ns:[0-9]+(/(.|[\\r\\n])*)?)',
  list: '(/(.|[\\r\\n])*)?|id:.*|(ns:[0-9]+(/(.|[\\r\\n])*)?)',
} as const;

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** Parses argument JSON; Dropbox says "could not decode input as JSON" when it is not an object. */
export function parseArgJson(route: string, source: ArgSource, text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badInput(route, `${source}: could not decode input as JSON`);
  }
  if (!isJsonObject(value)) throw badInput(route, `${source}: expected object, got ${describe(value)}`);
  return value;
}

// Query parameters read strictly by their schema. AJV's type coercion reads text with Number(), which took
// `limit=0x10` as 16 and `1e2`, ` 5`, `+5`, `0b11`, `5.0` or an empty value as numbers too; an integer here is
// plain decimal digits inside the schema's range, and a parameter given twice is refused rather than one of its
// values picked (the qlued face keeps Django's last-wins, see query.ts).
import type { ParsedUrlQuery } from 'node:querystring';
import type { FieldProblem } from '../../schemas/errors.ts';

interface ParameterSchema {
  type?: unknown;
  minimum?: number;
  maximum?: number;
}

type Properties = Record<string, ParameterSchema>;

const READABLE = new Set(['string', 'integer']);

/** The schema's properties; throws at start-up for a type this module has no strict reading of. */
export function queryProperties(name: string, schema: Readonly<Record<string, unknown>>): Properties {
  const properties = (schema.properties ?? {}) as Properties;
  for (const [key, property] of Object.entries(properties)) {
    if (!READABLE.has(String(property.type))) throw new Error(`${name}.${key}: query parameters of type ${String(property.type)} are not read`);
  }
  return properties;
}

/** What an integer parameter accepts, in the words of its refusal. */
function integerRule(property: ParameterSchema): string {
  const { minimum: min, maximum: max } = property;
  const range =
    min !== undefined && max !== undefined ? ` from ${min} to ${max}`
    : min !== undefined ? ` of at least ${min}`
    : max !== undefined ? ` of at most ${max}`
    : '';
  return `must be a whole number${range}, written in decimal digits only`;
}

function readInteger(text: string, property: ParameterSchema): number | undefined {
  const negativesMakeSense = property.minimum === undefined || property.minimum < 0;
  if (!(negativesMakeSense ? /^-?[0-9]+$/ : /^[0-9]+$/).test(text)) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) return undefined;
  if (property.minimum !== undefined && value < property.minimum) return undefined;
  if (property.maximum !== undefined && value > property.maximum) return undefined;
  return value;
}

/**
 * The query with each known parameter read by its schema's type, and the problems of those that cannot be read.
 * Unknown parameters are passed on as they are, for the schema to refuse by name.
 */
export function readQuery(query: ParsedUrlQuery, properties: Properties): { values: Record<string, unknown>; problems: FieldProblem[] } {
  // Entries, not assignments: `__proto__` is a parameter name like any other, refused by the schema as unknown.
  const entries: [string, unknown][] = [];
  const problems: FieldProblem[] = [];
  for (const [key, raw] of Object.entries(query)) {
    const property = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (property && Array.isArray(raw)) {
      problems.push({ type: 'repeated', loc: ['query', key], msg: `given ${raw.length} times; give it once` });
    } else if (property?.type === 'integer') {
      const value = readInteger(String(raw), property);
      if (value === undefined) problems.push({ type: 'integer', loc: ['query', key], msg: integerRule(property) });
      else entries.push([key, value]);
    } else {
      entries.push([key, raw]);
    }
  }
  return { values: Object.fromEntries(entries), problems };
}

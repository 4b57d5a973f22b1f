// JSON as Python's `json.dumps(value)` writes it with its defaults (`", "` and `": "` separators, `ensure_ascii`), for
// the value Python reads back from that text. sqooler signs `json.dumps(payload)` and verifies a signature by dumping
// the payload it parsed again (security.py), so a document qspool signs must be written in this form for sqooler's own
// code to verify it; qspool writes every sqooler document this way, as sqooler does.

/** Python's float repr for a non-integral number: exponent form below 1e-4, with at least two exponent digits. */
function pythonFloat(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 1e-4) return JSON.stringify(value);
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
}

/** A string as `ensure_ascii` escapes it: everything outside printable ASCII as \uXXXX (lowercase hex). */
function pythonString(text: string): string {
  const short: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
  return `"${text.replace(/["\\]|[^\x20-\x7e]/g, (c) => short[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

function dumps(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'number') return pythonFloat(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(dumps).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([key, member]) => `${pythonString(key)}: ${dumps(member)}`).join(', ')}}`;
}

/** The value's JSON (as JSON.stringify sees it: no undefined members, dates as strings) in json.dumps's form. */
export function pythonJson(value: unknown): string {
  return dumps(JSON.parse(JSON.stringify(value)) as unknown);
}

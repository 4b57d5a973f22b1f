// How an experiment given as text (the qubit's "X(90), Y(180)") counts against max_instructions, as its backend
// publishes it (BackendConfig.limits.text_instructions), and the check the server runs from that alone. A job schema
// cannot count the text's items (its patterns run on RE2, which repeats at most 1,000 times), so without this a text
// of many short items passed submission and was refused only when it ran.
import type { FromSchema } from 'json-schema-to-ts';
import type { ValidationIssue, ValidationReport } from './validators.ts';

export const textInstructionsSchema = {
  type: 'object',
  description: 'A text experiment runs one instruction per separated item, plus the instructions the text implies.',
  properties: {
    separator: { type: 'string', minLength: 1 },
    /** What one item is called in a refusal ("rotation"). */
    item: { type: 'string' },
    /** Instructions every text adds (the qubit's final measure). */
    implied: { type: 'array', items: { type: 'string' } },
  },
  required: ['separator', 'item', 'implied'],
  additionalProperties: false,
} as const;

export type TextInstructions = FromSchema<typeof textInstructionsSchema>;

/** How many items a text may have, in words: "at most 9999 (max_instructions 10000 with the measure it implies)". */
export function textCountRule(form: TextInstructions, maxInstructions: number): string {
  const implied = form.implied.length > 0 ? ` with the ${form.implied.join(', ')} it implies` : '';
  return `at most ${maxInstructions - form.implied.length} (max_instructions ${maxInstructions}${implied})`;
}

/** The text experiments that would run more than `maxInstructions` instructions: the first `maxListed` listed. */
export function textInstructionReport(form: TextInstructions, maxInstructions: number, job: Record<string, unknown>, maxListed: number): ValidationReport {
  const issues: ValidationIssue[] = [];
  let total = 0;
  const allowed = maxInstructions - form.implied.length;
  for (const [name, experiment] of Object.entries(job)) {
    const text = (experiment as { instructions?: unknown } | null)?.instructions;
    if (typeof text !== 'string') continue;
    const items = text.split(form.separator).length;
    if (items <= allowed) continue;
    total += 1;
    if (issues.length < maxListed) {
      issues.push({ path: `/${name}/instructions`, message: `${name}: ${items} ${form.item}s as text, ${textCountRule(form, maxInstructions)}` });
    }
  }
  return { issues, total };
}

// The Pauli principle as a fermionic backend publishes it (BackendConfig.pauli_exclusion), and the check the server
// runs from that document alone at submission: a mode holds at most one fermion, so a job that loads one into a mode
// that is certainly filled can never run. Only certainty refuses. Once a hop that can move a fermion has acted on a
// mode, whether it is filled depends on the amplitudes, and the spooler's simulation decides when the job runs.
import type { FromSchema } from 'json-schema-to-ts';
import type { ValidationIssue, ValidationReport } from './validators.ts';

export const pauliExclusionSchema = {
  type: 'object',
  description:
    'Every wire is a fermionic mode that holds at most one fermion: a job that loads into a mode an earlier load filled, with nothing since that can have emptied it, is refused at submission.',
  properties: {
    /** `[load, [w], []]` puts a fermion into mode w. */
    load_instruction: { type: 'string' },
    /** Instructions that leave every mode's occupation as it is; any other may change the occupation of the wires it lists. */
    conserving: { type: 'array', items: { type: 'string' } },
    /**
     * Instructions that only move fermions among the modes they list that the experiment has (hops): where those
     * modes are all filled, nothing can move and they stay filled. Any other instruction may empty what it lists.
     */
    moving: { type: 'array', items: { type: 'string' } },
  },
  required: ['load_instruction', 'conserving'],
  additionalProperties: false,
} as const;

export type PauliExclusion = FromSchema<typeof pauliExclusionSchema>;

/** The loads the rule refuses: the first `maxListed` of them listed, all of them counted. */
export function pauliReport(rule: PauliExclusion, job: Record<string, unknown>, maxListed: number): ValidationReport {
  const conserving = new Set(rule.conserving);
  const moving = new Set(rule.moving ?? []);
  const issues: ValidationIssue[] = [];
  let total = 0;
  for (const [name, experiment] of Object.entries(job)) {
    const { instructions, num_wires: numWires } = (experiment ?? {}) as { instructions?: unknown; num_wires?: unknown };
    // text-form experiments (the qubit's) have no instruction list; another lab's schema may shape one otherwise
    if (!Array.isArray(instructions)) continue;
    // each certainly filled mode, by the index of the load that filled it
    const filled = new Map<number, number>();
    instructions.forEach((instruction: unknown, index) => {
      if (!Array.isArray(instruction) || !Array.isArray(instruction[1])) return;
      const [gate, wires] = instruction as [unknown, number[]];
      if (gate !== rule.load_instruction) {
        if (typeof gate === 'string' && conserving.has(gate)) return;
        const acted = wires.filter((wire) => typeof numWires !== 'number' || wire < numWires);
        if (typeof gate === 'string' && moving.has(gate) && acted.every((wire) => filled.has(wire))) return;
        for (const wire of wires) filled.delete(wire);
        return;
      }
      for (const wire of wires) {
        const loader = filled.get(wire);
        if (loader === undefined) continue;
        total += 1;
        if (issues.length < maxListed) {
          issues.push({
            path: `/${name}/instructions/${index}`,
            message: `${name}, instruction ${index} (${gate}): mode ${wire} is occupied already (instruction ${loader} filled it and no instruction since can have emptied it; a mode holds at most one fermion)`,
          });
        }
      }
      for (const wire of wires) if (!filled.has(wire)) filled.set(wire, index);
    });
  }
  return { issues, total };
}

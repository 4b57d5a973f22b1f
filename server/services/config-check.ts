// Whether a backend config read from storage can be served. Configs come from every lab's spoolers (and from sqooler
// spoolers through the sqooler layout), so one damaged or foreign document must make one backend unknown, never make
// every backend list or submission fail: its shape is checked as a spooler publishes it (fields a newer spooler adds
// are let through), and its job schema must compile. Each config object is judged once.
import { backendConfigSchema, type BackendConfig } from '../../schemas/backend-config.ts';
import { ajv, compiledJobValidator } from '../../schemas/validators.ts';

// Without its $id: the strict schema is registered under it already (validators.ts).
const { $id: _id, ...published } = backendConfigSchema;
const validateShape = ajv.compile({ ...published, additionalProperties: true });

const verdicts = new WeakMap<object, string | null>();

/** What makes the config unusable, or null when it can be served. */
export function configProblem(config: unknown): string | null {
  if (config === null || typeof config !== 'object') return 'the config is not an object';
  const known = verdicts.get(config);
  if (known !== undefined) return known;
  let problem: string | null = null;
  if (!validateShape(config)) {
    const [error] = validateShape.errors ?? [];
    problem = `the config breaks its schema at ${error?.instancePath || '/'}: ${error?.message ?? 'invalid'}`;
  } else {
    try {
      compiledJobValidator((config as BackendConfig).job_schema);
    } catch (error) {
      problem = `its job_schema does not compile: ${(error as Error).message}`;
    }
  }
  verdicts.set(config, problem);
  return problem;
}

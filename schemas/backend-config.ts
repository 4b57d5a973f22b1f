// Backend configuration documents: what a spooler publishes (qlued's BackendConfigSchemaIn plus the job
// schema it validates with) and what get_config answers (qlued's BackendConfigSchemaOut, keys in its order).
import type { FromSchema } from 'json-schema-to-ts';
import { pauliExclusionSchema } from './pauli-exclusion.ts';
import { retryPolicySchema } from './retry-policy.ts';
import { workLimitsSchema } from './work-limits.ts';

/** A backend's display name: also a storage namespace segment (its queue), so nothing else is one. */
export const DISPLAY_NAME_PATTERN = '^[a-z0-9]{1,32}$';
const displayName = new RegExp(DISPLAY_NAME_PATTERN);
export const isDisplayName = (name: string): boolean => displayName.test(name);

const gateSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    parameters: { type: 'array', items: { type: 'string' } },
    qasm_def: { type: 'string' },
    coupling_map: { type: 'array', items: { type: 'array', items: { type: 'integer' } } },
    description: { type: 'string' },
  },
  required: ['name', 'parameters', 'qasm_def', 'coupling_map', 'description'],
  additionalProperties: false,
} as const;

export const backendConfigSchema = {
  $id: 'https://qspool.dev/schemas/backend-config.json',
  title: 'Backend config (published by a spooler)',
  type: 'object',
  properties: {
    description: { type: 'string' },
    version: { type: 'string' },
    display_name: { type: 'string', pattern: DISPLAY_NAME_PATTERN },
    cold_atom_type: { type: 'string' },
    gates: { type: 'array', items: gateSchema },
    max_experiments: { type: 'integer', minimum: 1 },
    max_shots: { type: 'integer', minimum: 1 },
    simulator: { type: 'boolean' },
    supported_instructions: { type: 'array', items: { type: 'string' } },
    num_wires: { type: 'integer', minimum: 1 },
    wire_order: { type: 'string', enum: ['interleaved', 'sequential'] },
    num_species: { type: 'integer', minimum: 1 },
    operational: { type: 'boolean' },
    pending_jobs: { type: ['integer', 'null'] },
    status_msg: { type: ['string', 'null'] },
    last_queue_check: { type: ['string', 'null'] },
    sign: { type: 'boolean' },
    kid: { type: ['string', 'null'] },
    job_schema: { type: 'object', description: 'The JSON Schema jobs for this backend must satisfy.' },
    max_hilbert_dimension: { type: 'integer', minimum: 1 },
    limits: workLimitsSchema,
    pauli_exclusion: pauliExclusionSchema,
    retry: retryPolicySchema,
  },
  required: [
    'description', 'version', 'display_name', 'cold_atom_type', 'gates', 'max_experiments', 'max_shots',
    'simulator', 'supported_instructions', 'num_wires', 'wire_order', 'num_species', 'job_schema',
  ],
  additionalProperties: false,
} as const;

export const backendConfigOutSchema = {
  $id: 'https://qspool.dev/schemas/backend-config-out.json',
  title: 'Backend config (qlued get_config answer)',
  type: 'object',
  properties: {
    description: { type: 'string' },
    display_name: { type: 'string' },
    conditional: { type: 'boolean' },
    coupling_map: { type: 'string' },
    dynamic_reprate_enabled: { type: 'boolean' },
    local: { type: 'boolean' },
    memory: { type: 'boolean' },
    open_pulse: { type: 'boolean' },
    backend_version: { type: 'string' },
    n_qubits: { type: 'integer' },
    backend_name: { type: 'string' },
    basis_gates: { type: 'array', items: { type: 'string' } },
    max_experiments: { type: 'integer' },
    max_shots: { type: 'integer' },
    simulator: { type: 'boolean' },
    gates: { type: 'array', items: gateSchema },
    supported_instructions: { type: 'array', items: { type: 'string' } },
    cold_atom_type: { type: 'string' },
    wire_order: { type: 'string' },
    num_species: { type: 'integer' },
    url: { type: ['string', 'null'] },
  },
  required: [
    'description', 'display_name', 'conditional', 'coupling_map', 'dynamic_reprate_enabled', 'local', 'memory',
    'open_pulse', 'backend_version', 'n_qubits', 'backend_name', 'basis_gates', 'max_experiments', 'max_shots',
    'simulator', 'gates', 'supported_instructions', 'cold_atom_type', 'wire_order', 'num_species', 'url',
  ],
  additionalProperties: false,
} as const;

export const backendStatusSchema = {
  $id: 'https://qspool.dev/schemas/backend-status.json',
  title: 'Backend status (qlued get_backend_status answer)',
  type: 'object',
  properties: {
    backend_name: { type: 'string' },
    backend_version: { type: 'string' },
    operational: { type: 'boolean' },
    pending_jobs: { type: 'integer' },
    status_msg: { type: 'string' },
  },
  required: ['backend_name', 'backend_version', 'operational', 'pending_jobs', 'status_msg'],
  additionalProperties: false,
} as const;

export type BackendConfig = FromSchema<typeof backendConfigSchema>;
export type BackendConfigOut = FromSchema<typeof backendConfigOutSchema>;
export type BackendStatus = FromSchema<typeof backendStatusSchema>;
export type GateConfig = FromSchema<typeof gateSchema>;

/** The full qiskit-facing name, e.g. alqor_fermions_simulator. */
export function fullBackendName(provider: string, config: Pick<BackendConfig, 'display_name' | 'simulator'>): string {
  return `${provider}_${config.display_name}_${config.simulator ? 'simulator' : 'hardware'}`;
}

/** qlued's get_config answer, keys in BackendConfigSchemaOut order. */
export function toConfigOut(config: BackendConfig, provider: string, url: string | null): BackendConfigOut {
  return {
    description: config.description,
    display_name: config.display_name,
    conditional: false,
    coupling_map: 'linear',
    dynamic_reprate_enabled: false,
    local: false,
    memory: true,
    open_pulse: false,
    backend_version: config.version,
    n_qubits: config.num_wires,
    backend_name: fullBackendName(provider, config),
    basis_gates: config.gates.map((gate) => gate.name),
    max_experiments: config.max_experiments,
    max_shots: config.max_shots,
    simulator: config.simulator,
    gates: config.gates,
    supported_instructions: config.supported_instructions,
    cold_atom_type: config.cold_atom_type,
    wire_order: config.wire_order,
    num_species: config.num_species,
    url,
  };
}

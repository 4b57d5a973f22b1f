// What qiskit (through qiskit-cold-atom 0.2) does with each answer it reads, as checks that throw where the real
// client would raise: BackendConfiguration.from_dict and validate_circuits on get_config, ColdAtomJob.status() on
// get_job_status, Result.from_dict and get_memory on a finished get_job_result.

type Json = Record<string, unknown>;

/** QasmBackendConfiguration.__init__'s positional arguments: a missing one is a TypeError in from_dict. */
const REQUIRED_CONFIG_KEYS = [
  'backend_name', 'backend_version', 'n_qubits', 'basis_gates', 'gates', 'local', 'simulator', 'conditional',
  'open_pulse', 'memory', 'max_shots', 'coupling_map',
];
/** GateConfig.__init__'s parameters: from_dict is GateConfig(**d), so any other key is a TypeError. */
const GATE_KEYS = new Set(['name', 'parameters', 'qasm_def', 'coupling_map', 'latency_map', 'conditional', 'description']);
const GATE_REQUIRED = ['name', 'parameters', 'qasm_def'];

function fail(where: string, problem: string): never {
  throw new Error(`qiskit-cold-atom fails on ${where}: ${problem}`);
}

/** ColdAtomProvider keeps a backend only for these types (anything else: a warning, and the backend is skipped). */
export function providerBackendType(config: Json, where: string): 'fermion' | 'spin' {
  const type = config.cold_atom_type;
  if (type !== 'fermion' && type !== 'spin') fail(where, `cold_atom_type ${JSON.stringify(type)} (backend skipped)`);
  return type;
}

/**
 * BackendConfiguration.from_dict, then what CircuitTools.validate_circuits reads: every gate's coupling_map (GateConfig
 * sets none for an empty list, an AttributeError there), supported_instructions (only set when non-empty),
 * n_qubits and num_species as numbers, wire_order a WireOrder value.
 */
export function backendConfiguration(config: Json, where: string): void {
  for (const key of REQUIRED_CONFIG_KEYS) if (!(key in config)) fail(where, `BackendConfiguration.from_dict: missing ${key}`);
  if (!Array.isArray(config.gates)) fail(where, 'gates is not a list');
  for (const gate of config.gates as Json[]) {
    const extra = Object.keys(gate).filter((key) => !GATE_KEYS.has(key));
    if (extra.length > 0) fail(where, `GateConfig got unexpected keys ${extra.join(', ')}`);
    const missing = GATE_REQUIRED.filter((key) => !(key in gate));
    if (missing.length > 0) fail(where, `GateConfig is missing ${missing.join(', ')}`);
    const couplings = gate.coupling_map;
    if (!Array.isArray(couplings) || couplings.length === 0) fail(where, `gate ${String(gate.name)} has no coupling_map`);
  }
  const instructions = config.supported_instructions;
  if (!Array.isArray(instructions) || instructions.length === 0) fail(where, 'no supported_instructions');
  if (!Number.isInteger(config.n_qubits)) fail(where, 'n_qubits is not an integer');
  if ('num_species' in config && !Number.isInteger(config.num_species)) fail(where, 'num_species is not an integer');
  if ('wire_order' in config && config.wire_order !== 'sequential' && config.wire_order !== 'interleaved') {
    fail(where, `WireOrder(${JSON.stringify(config.wire_order)}) is a ValueError`);
  }
}

/** qiskit's JobStatus names ColdAtomJob.status() maps the server's strings to; anything else is ERROR. */
const JOB_STATUSES = new Set(['INITIALIZING', 'QUEUED', 'VALIDATING', 'RUNNING', 'CANCELLED', 'DONE']);

/** ColdAtomJob.status(): `r.json()["status"]` before the HTTP code is looked at, then ERROR for any code but 200. */
export function jobStatus(httpStatus: number, body: unknown, where: string): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('status' in body)) {
    fail(where, `status() reads r.json()["status"] of ${JSON.stringify(body)}`);
  }
  const status = (body as Json).status;
  if (httpStatus !== 200) return 'ERROR';
  return typeof status === 'string' && JOB_STATUSES.has(status) ? status : 'ERROR';
}

/** Result.from_dict (ExperimentResult.from_dict per result), then get_memory(i) on every experiment. */
export function resultFromDict(result: Json, where: string): void {
  for (const key of ['backend_name', 'backend_version', 'qobj_id', 'job_id', 'success', 'results']) {
    if (!(key in result)) fail(where, `Result.from_dict: missing ${key}`);
  }
  if (!Array.isArray(result.results)) fail(where, 'results is not a list');
  (result.results as Json[]).forEach((experiment, i) => {
    for (const key of ['data', 'shots', 'success']) if (!(key in experiment)) fail(where, `results[${i}] has no ${key}`);
    // _get_experiment refuses an experiment that did not succeed; format_counts_memory calls .startswith on each shot.
    if (experiment.success !== true) fail(where, `get_memory(${i}): experiment not successful`);
    const memory = (experiment.data as Json).memory;
    if (!Array.isArray(memory) || !memory.every((shot) => typeof shot === 'string')) fail(where, `get_memory(${i}): memory is not a list of strings`);
  });
}

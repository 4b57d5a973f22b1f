// The fermions simulator: four tweezers with a spin-down and a spin-up mode each (wires 2k, 2k+1), hopping, on-site
// interaction and local phases (configuration as qlued.alqor.io serves it).
import * as simulator from '../../simulators/fermions.ts';
import { TWO_PI, allWires, barrier, eachWire, gate, measure, parameter, simulatorBackend } from '../shared.ts';

const MODES = 8;
const SITES = MODES / 2;
/** Both modes of site k: [2k, 2k+1]. */
const site = (k: number) => [2 * k, 2 * k + 1];
const sites = (count: number) => Array.from({ length: count }, (_, k) => k);

export const fermions = simulatorBackend({
  largestOutcome: 1,
  config: {
    description:
      'simulator of a fermionic tweezer hardware. The even wires denote the occupations of the spin-up fermions and the odd wires denote the spin-down fermions',
    version: '0.1',
    display_name: 'fermions',
    cold_atom_type: 'fermion',
    max_experiments: 1000,
    max_shots: 1_000_000,
    simulator: true,
    supported_instructions: ['load', 'barrier', 'fhop', 'fint', 'fphase', 'measure'],
    num_wires: MODES,
    // Only interleaved: with two species the two orders number the wires differently (the corpus refuses sequential).
    wire_order: 'interleaved',
    num_species: 2,
  },
  gates: [
    gate({
      name: 'fhop',
      parameters: [parameter('j_i', TWO_PI)],
      qasm_def: '{}',
      // both modes of two neighbouring sites, [2k, 2k+1, 2k+2, 2k+3], or the whole array
      coupling_map: [...sites(SITES - 1).map((k) => [...site(k), ...site(k + 1)]), allWires(MODES)],
      description: 'hopping of atoms to neighboring tweezers',
      sortedKeys: true,
    }),
    gate({
      name: 'fint',
      parameters: [parameter('u', TWO_PI)],
      qasm_def: '{}',
      coupling_map: [allWires(MODES)],
      description: 'on-site interaction of atoms of opposite spin state',
      sortedKeys: true,
    }),
    gate({
      name: 'fphase',
      parameters: [parameter('mu_i', TWO_PI)],
      qasm_def: '{}',
      coupling_map: [...sites(SITES).map(site), allWires(MODES)],
      description: 'Applying a local phase to tweezers through an external potential',
      sortedKeys: true,
    }),
  ],
  // a fermion is loaded into one mode, which is its only argument
  instructions: [{ name: 'load', parameters: [], coupling_map: eachWire(MODES) }, measure(MODES), barrier],
  simulator,
  // a fermion's `load` fills a mode and resizes nothing; published so that the server refuses what the simulator would
  work: { hilbertSpace: { wire_dimension: 2, combine: 'product' } },
  // fint and fphase are diagonal in the occupations; fhop moves fermions between the modes it lists. A load into a
  // filled mode is what simulators/fermions.ts fails at run time; published so that the server refuses it when it is
  // certain.
  pauliExclusion: { load_instruction: 'load', conserving: ['fint', 'fphase', 'measure', 'barrier'], moving: ['fhop'] },
});

#!/usr/bin/env python3
"""An example external runtime for qspool (protocol qspool-runtime/1): a single qubit, simulated in pure Python.

A lab replaces the `run_experiment` function with calls to its hardware control; the rest is the protocol:

  stdin   one JSON document: {"protocol": "qspool-runtime/1", "job_id": "...", "backend": "qubit",
          "runtime_id": "...", "timeout_ms": 600000,
          "job": {"experiment_0": {"instructions": [["rx", [0], [1.5707963267948966]], ["measure", [0], []]],
                                   "shots": 100, "num_wires": 1, "wire_order": "sequential", "seed": 7}}}
  stdout  {"results": {"experiment_0": {"memory": ["0", "1", ...]}}}   one string per shot
          or {"error": "why the device could not run the job"}
  exit    0 when stdout holds one of the two documents; anything else is a crash (stderr's tail is reported)

Run it in the spooler with
  QSPOOL_QUBIT_MODE=verbatim QSPOOL_RUNTIME_QUBIT='python3 examples/runtime/qubit_runtime.py' npm start
"""
import cmath
import json
import math
import random
import sys


class DeviceError(Exception):
    """A job this device cannot run; reported to the user as the job's error."""


def rotation(name, theta):
    """exp(-i theta sigma / 2) as a 2x2 matrix, for sigma = X, Y or Z."""
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    if name == "rx":
        return [[c, -1j * s], [-1j * s, c]]
    if name == "ry":
        return [[c, -s], [s, c]]
    if name == "rz":
        return [[cmath.exp(-0.5j * theta), 0], [0, cmath.exp(0.5j * theta)]]
    raise DeviceError(f"instruction {name} is not a rotation this device knows")


def run_experiment(experiment):
    """One memory string per shot: the outcome (0 or 1) once per `measure`, separated by spaces."""
    state = [1 + 0j, 0j]  # |0>
    measures = 0
    for name, wires, params in experiment["instructions"]:
        if name == "measure":
            measures += 1
        elif name != "barrier":
            (a, b), (c, d) = rotation(name, params[0])
            state = [a * state[0] + b * state[1], c * state[0] + d * state[1]]
    p_one = abs(state[1]) ** 2
    rng = random.Random(experiment.get("seed"))
    memory = []
    for _ in range(experiment["shots"]):
        outcome = "1" if rng.random() < p_one else "0"
        memory.append(" ".join([outcome] * measures))
    return memory


def main():
    request = json.load(sys.stdin)
    if request.get("protocol") != "qspool-runtime/1":
        raise SystemExit(f"unsupported protocol {request.get('protocol')!r}")
    print(f"qubit_runtime: job {request['job_id']}, {len(request['job'])} experiment(s)", file=sys.stderr)
    try:
        results = {name: {"memory": run_experiment(experiment)} for name, experiment in request["job"].items()}
        json.dump({"results": results}, sys.stdout)
    except DeviceError as error:
        json.dump({"error": str(error)}, sys.stdout)


if __name__ == "__main__":
    main()

"""Independent reference for qspool's simulator backends, written from their specification (the conventions of
reference/backends.md) with numpy and LAPACK, sharing no code or structure with the TypeScript engine.

Reads a JSON list of {"backend": name, "experiment": {"instructions": [...], "num_wires": n}} on stdin and
writes a JSON list of {"distribution": {memory entry: probability}, "stiffness": sum of |theta|*||H||} or
{"error": message} in the same order. The distribution is over the strings `memory` holds: the measured wires'
outcomes in `measure` order, space-separated, the final state sampled.

Differences from the engine on purpose: exponentials are dense eigen-decompositions (numpy.linalg.eigh) of each
gate's Hamiltonian on the smallest space it acts on, split into blocks of a conserved quantity where the space is
large; Ly is exponentiated directly; the Jordan-Wigner string runs over the higher-numbered modes.
"""

import functools
import json
import math
import re
import sys

import numpy as np

# Above this size a gate's Hamiltonian is split into blocks of a conserved quantity before diagonalising.
DENSE_LIMIT = 256


def spin(two_l):
    """Lx, Ly, Lz, L+, L- on m = l, l-1, ..., -l (index k holds m = l - k)."""
    d = two_l + 1
    l = two_l / 2
    m = l - np.arange(d)
    lp = np.zeros((d, d))
    for k in range(1, d):
        lp[k - 1, k] = math.sqrt(l * (l + 1) - m[k] * (m[k] + 1))
    lm = lp.T.copy()
    return {
        "lx": (lp + lm) / 2,
        "ly": (lp - lm) / 2j,
        "lz": np.diag(m),
        "lz2": np.diag(m * m),
        "lp": lp,
        "lm": lm,
    }


class Evolution:
    """Applies exp(-i theta H) and keeps the sum of |theta| * ||H|| (what bounds any solver's rounding).

    Decompositions are cached by a key naming the Hamiltonian (gate, wires, register), shared by all requests.
    """

    cache = {}

    def __init__(self):
        self.stiffness = 0.0

    def eigen(self, key, build):
        if key is None:
            return np.linalg.eigh(build())
        if key not in Evolution.cache:
            Evolution.cache[key] = np.linalg.eigh(build())
        return Evolution.cache[key]

    def phases(self, w, theta):
        if len(w):
            self.stiffness += abs(theta) * float(np.max(np.abs(w)))
        return np.exp(-1j * theta * w)

    def unitary(self, key, build, theta):
        w, v = self.eigen(key, build)
        return (v * self.phases(w, theta)) @ v.conj().T

    def vector(self, key, build, theta, psi):
        """exp(-i theta H) psi for a flat psi."""
        w, v = self.eigen(key, build)
        return v @ (self.phases(w, theta) * (v.conj().T @ psi))

    def on_axes(self, psi, axes, key, build, theta):
        """exp(-i theta H) for H on the given tensor axes of psi (first axis most significant)."""
        local = [psi.shape[a] for a in axes]
        u = self.unitary(key, build, theta).reshape(local + local)
        k = len(axes)
        out = np.tensordot(u, psi, axes=(list(range(k, 2 * k)), list(axes)))
        return np.moveaxis(out, list(range(k)), list(axes))

    def blocks(self, key, build, theta, psi, labels):
        """exp(-i theta H) on a flat psi, H (scipy sparse) block-diagonal in `labels` when it is large."""
        if len(psi) <= DENSE_LIMIT:
            return self.vector(key, lambda: build().toarray(), theta, psi)
        csr = build().tocsr()
        rows, cols = csr.nonzero()
        if np.any(labels[rows] != labels[cols]):
            raise ValueError("Hamiltonian couples different blocks")
        out = psi.copy()
        before, worst = self.stiffness, 0.0
        for label in np.unique(labels):
            idx = np.nonzero(labels == label)[0]
            self.stiffness = 0.0
            block_key = None if key is None else f"{key} block {label}"
            out[idx] = self.vector(block_key, lambda: csr[idx][:, idx].toarray(), theta, psi[idx])
            worst = max(worst, self.stiffness)
        self.stiffness = before + worst
        return out


def kron_all(factors):
    out = np.ones((1, 1))
    for f in factors:
        out = np.kron(out, f)
    return out


def sparse_on(dims, factors):
    """Product of one-wire operators {wire: matrix} on the register, identities elsewhere, as scipy sparse."""
    import scipy.sparse as sp

    out = sp.identity(1, format="csr")
    for w, d in enumerate(dims):
        out = sp.kron(out, sp.csr_matrix(factors[w]) if w in factors else sp.identity(d, format="csr"), format="csr")
    return out


def digits(dims):
    """Per basis index of the register, each wire's index (wire 0 most significant)."""
    return np.array(np.unravel_index(np.arange(int(np.prod(dims))), dims)).T


def distribution(probabilities, dims, measured):
    if not measured:
        return {"": float(probabilities.sum())}
    table = digits(dims)[:, measured]
    keys, inverse = np.unique(table, axis=0, return_inverse=True)
    sums = np.bincount(inverse.reshape(-1), weights=probabilities, minlength=len(keys))
    return {" ".join(str(d) for d in key): float(p) for key, p in zip(keys, sums)}


def register_wires(wires, num_wires):
    """A gate listed on the device's whole array acts on the wires the experiment has."""
    return sorted(w for w in wires if w < num_wires)


# ---------------------------------------------------------------- singlequdit


def singlequdit(instructions, num_wires, ev):
    ops = spin(1)
    psi = np.array([1, 0], dtype=complex)
    measured = []
    for name, wires, params in instructions:
        if name == "measure":
            measured.append(wires[0])
        elif name == "barrier":
            pass
        elif name == "load":
            ops = spin(int(params[0]))
            psi = np.zeros(int(params[0]) + 1, dtype=complex)
            psi[0] = 1
        elif name in ("rlx", "rlz", "rlz2"):
            psi = ev.vector(f"{name} of {len(psi)}", lambda: ops[name[1:]], params[0], psi)
        elif name == "sq_full":
            omega, delta, chi = params
            psi = ev.vector(None, lambda: omega * ops["lx"] + delta * ops["lz"] + chi * ops["lz2"], 1, psi)
        else:
            raise ValueError(f"singlequdit has no {name}")
    return np.abs(psi) ** 2, [len(psi)], measured


# ---------------------------------------------------------------- multiqudit


def multiqudit(instructions, num_wires, ev):
    two_l = [1] * num_wires
    for name, wires, params in instructions:
        if name == "load":
            two_l[wires[0]] = int(params[0])
    dims = [t + 1 for t in two_l]
    ops = [spin(t) for t in two_l]
    psi = np.zeros(dims, dtype=complex)
    psi[(0,) * num_wires] = 1
    measured = []
    # total magnetisation index, conserved by flip-flop and zz terms
    total = digits(dims).sum(axis=1)

    def couplings(pairs, jxy, jzz):
        terms = []
        for a, b in pairs:
            if jxy:
                terms.append(jxy * sparse_on(dims, {a: ops[a]["lp"], b: ops[b]["lm"]}))
                terms.append(jxy * sparse_on(dims, {a: ops[a]["lm"], b: ops[b]["lp"]}))
            if jzz:
                terms.append(jzz * sparse_on(dims, {a: ops[a]["lz"], b: ops[b]["lz"]}))
        return terms

    for name, wires, params in instructions:
        if name == "measure":
            measured.append(wires[0])
        elif name in ("barrier", "load"):
            pass
        elif name in ("rlx", "rly", "rlz", "rlz2"):
            w = wires[0]
            psi = ev.on_axes(psi, [w], f"{name} of {dims[w]}", lambda: ops[w][name[1:]], params[0])
        elif name in ("rlxly", "rlzlz"):
            pairs = [tuple(wires)] if len(wires) == 2 else list(zip(register_wires(wires, num_wires), register_wires(wires, num_wires)[1:]))
            jxy, jzz = (1, 0) if name == "rlxly" else (0, 1)
            terms = couplings(pairs, jxy, jzz)
            if terms:
                psi = ev.blocks(f"{name} {pairs} of {dims}", lambda: sum(terms), params[0], psi.reshape(-1), total).reshape(dims)
        elif name == "multiqudit_full":
            omega, delta, chi, jxy, jzz = params
            on = register_wires(wires, num_wires)
            terms = []
            for w in on:
                terms.append(sparse_on(dims, {w: omega * ops[w]["lx"] + delta * ops[w]["lz"] + chi * ops[w]["lz2"]}))
            terms += couplings(list(zip(on, on[1:])), jxy, jzz)
            labels = total if omega == 0 else np.zeros(len(total), dtype=int)
            psi = ev.blocks(None, lambda: sum(terms), 1, psi.reshape(-1), labels).reshape(dims)
        else:
            raise ValueError(f"multiqudit has no {name}")
    return np.abs(psi.reshape(-1)) ** 2, dims, measured


# ---------------------------------------------------------------- rydberg


def rydberg(instructions, num_wires, ev):
    dims = [2] * num_wires
    s = spin(1)
    occupation = np.diag([0.0, 1.0])  # n = 1/2 - Lz: the Rydberg state is index 1
    psi = np.zeros(dims, dtype=complex)
    psi[(0,) * num_wires] = 1
    measured = []

    def blockade(on):
        h = np.zeros((2**num_wires, 2**num_wires))
        for k, i in enumerate(on):
            for j in on[k + 1 :]:
                h += kron_all([occupation if w in (i, j) else np.eye(2) for w in range(num_wires)]) / abs(i - j) ** 6
        return h

    for name, wires, params in instructions:
        if name == "measure":
            measured.append(wires[0])
        elif name == "barrier":
            pass
        elif name in ("rlx", "rlz"):
            psi = ev.on_axes(psi, [wires[0]], name, lambda: s[name[1:]], params[0])
        elif name == "rydberg_block":
            on = register_wires(wires, num_wires)
            psi = ev.vector(f"block {on} of {num_wires}", lambda: blockade(on), params[0], psi.reshape(-1)).reshape(dims)
        elif name == "rydberg_full":
            omega, delta, phi = params
            on = register_wires(wires, num_wires)
            h = phi * blockade(on)
            for w in on:
                h += kron_all([omega * s["lx"] + delta * s["lz"] if v == w else np.eye(2) for v in range(num_wires)])
            psi = ev.vector(None, lambda: h, 1, psi.reshape(-1)).reshape(dims)
        else:
            raise ValueError(f"rydberg has no {name}")
    return np.abs(psi.reshape(-1)) ** 2, dims, measured


# ---------------------------------------------------------------- fermions


def annihilator(modes, j):
    """Jordan-Wigner a_j with the parity string over the modes after j (the engine's runs over those before)."""
    lower = np.array([[0.0, 1.0], [0.0, 0.0]])
    z = np.diag([1.0, -1.0])
    return kron_all([np.eye(2) if k < j else lower if k == j else z for k in range(modes)])


@functools.lru_cache
def mode_operators(modes):
    a = [annihilator(modes, j) for j in range(modes)]
    return a, [x.T @ x for x in a]


def fermions(instructions, num_wires, ev):
    modes = num_wires
    if modes > 8:
        raise ValueError("the device has 8 modes")
    a, n = mode_operators(modes)
    zero = np.zeros((2**modes, 2**modes))
    psi = np.zeros(2**modes, dtype=complex)
    psi[0] = 1
    measured = []
    for name, wires, params in instructions:
        if name == "measure":
            measured.append(wires[0])
        elif name == "barrier":
            pass
        elif name == "load":
            loaded = a[wires[0]].T @ psi
            if abs(np.vdot(loaded, loaded).real - 1) > 1e-9:
                raise ValueError(f"mode {wires[0]} is (partly) occupied already")
            psi = loaded
        elif name == "fhop":
            # [a, b, c, d] hops a <-> c and b <-> d; the whole array, each mode to the same spin one tweezer on
            on = register_wires(wires, num_wires) if len(wires) == 8 else list(wires)
            hops = list(zip(on, on[2:]))
            psi = ev.vector(f"fhop {hops} of {modes}", lambda: sum((a[x].T @ a[y] + a[y].T @ a[x] for x, y in hops), zero), params[0], psi)
        elif name == "fint":
            psi = ev.vector(f"fint of {modes}", lambda: sum((n[2 * k] @ n[2 * k + 1] for k in range(modes // 2)), zero), params[0], psi)
        elif name == "fphase":
            on = register_wires(wires, num_wires)
            psi = ev.vector(f"fphase {on} of {modes}", lambda: sum((n[w] for w in on), zero), params[0], psi)
        else:
            raise ValueError(f"fermions has no {name}")
    return np.abs(psi) ** 2, [2] * modes, measured


# ---------------------------------------------------------------- qubit

PAULI = {
    "rx": np.array([[0, 1], [1, 0]], dtype=complex),
    "ry": np.array([[0, -1j], [1j, 0]]),
    "rz": np.diag([1.0, -1.0]).astype(complex),
}
TEXT = re.compile(r"([XYZ])\((\d{1,3})\)")


def qubit(instructions, num_wires, ev):
    if isinstance(instructions, str):
        # the text form: degrees, and the measure it implies
        instructions = [["r" + axis.lower(), [0], [math.radians(int(deg))]] for axis, deg in TEXT.findall(instructions)]
        instructions.append(["measure", [0], []])
    psi = np.array([1, 0], dtype=complex)
    measured = []
    for name, wires, params in instructions:
        if name == "measure":
            measured.append(wires[0])
        elif name == "barrier":
            pass
        elif name in PAULI:
            psi = ev.vector(name, lambda: PAULI[name] / 2, params[0], psi)
        else:
            raise ValueError(f"qubit has no {name}")
    return np.abs(psi) ** 2, [2], measured


BACKENDS = {"singlequdit": singlequdit, "multiqudit": multiqudit, "rydberg": rydberg, "fermions": fermions, "qubit": qubit}


def solve(request):
    experiment = request["experiment"]
    ev = Evolution()
    try:
        probabilities, dims, measured = BACKENDS[request["backend"]](experiment["instructions"], experiment["num_wires"], ev)
    except (ValueError, KeyError) as error:
        return {"error": str(error)}
    return {"distribution": distribution(probabilities, dims, measured), "stiffness": ev.stiffness}


if __name__ == "__main__":
    json.dump([solve(r) for r in json.load(sys.stdin)], sys.stdout)

"""Each rule's bare floor of a batch-1 step beside scikit-learn's whole step (issue 10).

``bench_rows bare`` times a loop of each rule's REFERENCE.md arithmetic on the 16 x 3
problem with no pygdx code (the data chain and the element update, the late steps' scalars
hoisted): a lower bound of any implementation's batch-1 step. This script runs it and
scikit-learn's ``SGDRegressor`` on 16 x 3 data (20,000 epochs, constant rate, no penalty:
``bench_small.py``'s fit) alternately, A B A B..., so both see the same load, and prints each
rule's floor over scikit-learn's step: where it is above 1, the issue's batch-1 target of
"no more than scikit-learn's epoch" lies beyond what the rule's formulas cost on this machine.

    g++ -std=c++17 -O3 -g1 -fno-math-errno -ffp-contract=off -pthread -I src/cpp \\
        benchmarks/bench_rows.cpp -o /tmp/bench_rows
    python benchmarks/small_floors.py /tmp/bench_rows [rounds]

Both are CPU time: the bare loop its thread's, scikit-learn's the process's around ``fit``.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np


def bare_floors(binary: str) -> dict[str, float]:
    """One run of ``bench_rows bare``: ns per step by rule."""
    out = subprocess.run([binary, "bare"], check=True, capture_output=True, text=True).stdout
    floors = {}
    for line in out.splitlines()[1:]:
        name, value = line.split()
        floors[name] = float(value)
    return floors


def scikit_learn_step(X: np.ndarray, y: np.ndarray, epochs: int) -> float:
    """scikit-learn's SGDRegressor step on (X, y): ns per row, best of 3 fits."""
    from sklearn.linear_model import SGDRegressor

    best = float("inf")
    for _ in range(3):
        sk = SGDRegressor(learning_rate="constant", eta0=0.01, penalty=None, max_iter=epochs, tol=None,
                          random_state=0)
        start = time.process_time()
        sk.fit(X, y)
        best = min(best, time.process_time() - start)
    return best / (epochs * len(y)) * 1e9


def main(argv: list[str]) -> None:
    binary = argv[1]
    rounds = int(argv[2]) if len(argv) > 2 else 3
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 3))
    y = X @ rng.standard_normal(3) + 0.1 * rng.standard_normal(16)
    floors: dict[str, float] = {}
    sk = float("inf")
    for _ in range(rounds):
        for name, value in bare_floors(binary).items():
            floors[name] = min(floors.get(name, float("inf")), value)
        sk = min(sk, scikit_learn_step(X, y, 20_000))
    print(f"scikit-learn's SGDRegressor step on 16 x 3: {sk:.1f} ns (best of {3 * rounds} fits)")
    print("| rule | bare floor, ns per step | floor / scikit-learn's step |")
    print("|---|---|---|")
    for name, value in floors.items():
        print(f"| {name} | {value:.1f} | {value / sk:.2f} |")


if __name__ == "__main__":
    main(sys.argv)

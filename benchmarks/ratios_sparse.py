"""Print the Markdown table of benchmarks/RESULTS_sparse.md from a bench_sparse.py JSON report:
issue 12's four targets, each as a ratio measured in the same run.

    pytest benchmarks/bench_sparse.py --benchmark-enable --benchmark-json=sparse.json
    python benchmarks/ratios_sparse.py sparse.json

Times are the minimum over rounds (the least disturbed by other work on a shared machine).
"""

from __future__ import annotations

import json
import sys

from ratios import format_time  # benchmarks/ratios.py: this script's folder is on sys.path


def collect(reports: list[dict]) -> dict[tuple[str, str], dict]:
    """{(case, impl): {"seconds": best time, **extra_info}}."""
    found = {}
    for report in reports:
        for bench in report["benchmarks"]:
            info = bench["extra_info"]
            if "case" in info and "impl" in info:
                found[(info["case"], info["impl"])] = {"seconds": bench["stats"]["min"], **info}
    return found


def rows(found: dict) -> list[str]:
    lines = ["| target | pygdx | other | ratio | target met |", "|---|---|---|---|---|"]
    ours, theirs = found.get(("text-epoch", "pygdx")), found.get(("text-epoch", "scikit-learn"))
    if ours and theirs:
        speedup = theirs["seconds"] / ours["seconds"]
        lines.append(f"| text epoch {ours['n_rows']:,} x {ours['n_features']:,}, bs 1, vs SGDClassifier | "
                     f"{format_time(ours['seconds'])}, held-out accuracy {ours['heldout_accuracy']:.4f} | "
                     f"{format_time(theirs['seconds'])}, held-out accuracy {theirs['heldout_accuracy']:.4f} | "
                     f"{speedup:.2f}x faster | {'yes' if speedup >= 3 and ours['heldout_accuracy'] >= theirs['heldout_accuracy'] else 'no'} |")
    elif theirs:
        lines.append(f"| text epoch {theirs['n_rows']:,} x {theirs['n_features']:,}, bs 1, vs SGDClassifier | not "
                     f"measured | {format_time(theirs['seconds'])}, held-out accuracy "
                     f"{theirs['heldout_accuracy']:.4f} | - | - |")
    def epoch(found: dict) -> float:
        return (found["seconds"] - found["fit1_seconds"]) / found["epochs"]

    theirs = found.get(("text-fit", "scikit-learn"))
    for impl, threads in (("pygdx", "n_jobs=1"), ("pygdx-default", "default n_jobs: rows gathered ahead")):
        ours = found.get(("text-fit", impl))
        if not (ours and theirs):
            continue
        speedup = epoch(theirs) / epoch(ours)
        met = speedup >= 3 and ours["heldout_accuracy"] >= theirs["heldout_accuracy"]
        lines.append(f"| text epoch inside fit ({1 + ours['epochs']} epochs minus 1), bs 1, {threads}, vs "
                     f"SGDClassifier | {format_time(epoch(ours))}, held-out accuracy {ours['heldout_accuracy']:.4f} | "
                     f"{format_time(epoch(theirs))}, held-out accuracy {theirs['heldout_accuracy']:.4f} | "
                     f"{speedup:.2f}x faster | {'yes' if met else 'no'} |")
    floor = found.get(("text-floor", "pygdx"))
    if floor:
        ratio = floor["seconds"] / floor["paired_floor"]
        per_nnz = 1e9 / floor["nnz"]
        lines.append(f"| stochastic epoch per non-zero vs shuffled CSR floor (1 core) | "
                     f"{floor['seconds'] * per_nnz:.2f} ns | {floor['paired_floor'] * per_nnz:.2f} ns | "
                     f"{ratio:.2f}x the floor | {'yes' if ratio <= 2 else 'no'} |")
    alone = found.get(("text-floor", "floor"))
    for impl, threads in (("pygdx", "n_jobs=1"), ("pygdx-default", "default n_jobs, wall time")):
        in_fit = found.get(("text-fit", impl))
        if not (alone and in_fit):
            continue
        # The epoch as fit runs it, without what every partial_fit call does once (the
        # matrix's check, the data source, the targets): about 10 ms on this matrix.
        ratio = epoch(in_fit) / alone["floor_seconds"]
        lines.append(f"| stochastic epoch inside fit ({threads}) per non-zero vs shuffled CSR floor alone "
                     f"(1 core) | {epoch(in_fit) * 1e9 / in_fit['nnz']:.2f} ns | "
                     f"{alone['floor_seconds'] * 1e9 / alone['nnz']:.2f} ns | "
                     f"{ratio:.2f}x the floor | {'yes' if ratio <= 2 else 'no'} |")
    if alone and not floor:
        lines.append(f"| shuffled CSR floor alone (1 core), per non-zero | not measured | "
                     f"{alone['floor_seconds'] * 1e9 / alone['nnz']:.2f} ns | - | - |")
    for case, optimizer in (("big-minibatch", "plain SGD"), ("big-minibatch-adam", "Adam, lazy")):
        big = found.get((case, "pygdx"))
        if not big:
            continue
        growth = big.get("peak_growth_bytes")
        share = growth / big["matrix_bytes"] if growth is not None else None
        lines.append(f"| mini-batch epoch {big['n_rows']:,} x {big['n_features']:,} (bs {big['batch_size']}, "
                     f"{optimizer}): peak memory growth vs the matrix | {format_time(big['seconds'])}, "
                     f"{growth / 2**20:.0f} MiB | {big['matrix_bytes'] / 2**20:.0f} MiB | "
                     f"{share:.2f} of it | {'yes' if share is not None and share <= 0.5 else 'no'} |"
                     if growth is not None else
                     f"| mini-batch epoch {big['n_rows']:,} x {big['n_features']:,} ({optimizer}) | "
                     f"{format_time(big['seconds'])} | peak memory not measurable here | - | - |")
    ours, theirs = found.get(("parse", "pygdx")), found.get(("parse", "scikit-learn"))
    if ours:
        mb = ours["megabytes"]

        def speed(found: dict) -> str:
            cpu = f", {mb / found['cpu_seconds']:.0f} MB/s CPU time" if "cpu_seconds" in found else ""
            return f"{mb / found['seconds']:.0f} MB/s wall{cpu}"

        other = speed(theirs) if theirs else "-"
        ratio = f"{theirs['seconds'] / ours['seconds']:.1f}x faster" if theirs else "-"
        fastest = mb / min(ours["seconds"], ours.get("cpu_seconds", ours["seconds"]))
        lines.append(f"| svmlight parse, {mb:.0f} MB | {speed(ours)} | {other} | {ratio} | "
                     f"{'yes' if fastest >= 100 else 'no'} (100 MB/s on one core) |")
    return lines


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python benchmarks/ratios_sparse.py REPORT.json [MORE.json ...]")
    loaded = []
    for path in sys.argv[1:]:
        with open(path) as f:
            loaded.append(json.load(f))
    print("\n".join(rows(collect(loaded))))

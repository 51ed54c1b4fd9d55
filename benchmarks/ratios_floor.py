"""Print the Markdown tables of benchmarks/RESULTS_floor.md from bench_floor.py and
bench_small.py JSON reports: every epoch's ratio to this machine's floor (measured in the
same run) beside its ratio to NumPy and scikit-learn, and the fixed cost of a small epoch.

    pytest benchmarks/bench_floor.py benchmarks/bench_small.py --benchmark-enable \\
        --benchmark-autosave --benchmark-json=floor.json
    python benchmarks/ratios_floor.py floor.json

Times are the minimum over rounds (the least disturbed by other work on a shared machine);
a floor's time is the best pass the core timed (``extra_info["floor_seconds"]``), without
the untimed shuffle that comes before each pass. An epoch's x floor uses the floors measured
right before each of its rounds (paired, the same load) when the report has them.

- x floor = pygdx's epoch / the floor: 1.0x is an epoch that costs no more than its reads;
- speed-up = the other implementation's time / pygdx's: above 1x pygdx is faster.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

from ratios import format_time  # benchmarks/ratios.py: this script's folder is on sys.path


def best(bench: dict) -> float:
    info = bench["extra_info"]
    return info["floor_seconds"] if "floor_seconds" in info else bench["stats"]["min"]


def collect(reports: list[dict]) -> dict[str, dict]:
    """{case: {key: {impl: seconds}}} with key (kind, dtype) for floors, (dtype, batch) for
    epochs and (data, optimizer, batch) for small fits (seconds per epoch)."""
    cases: dict[str, dict] = defaultdict(lambda: defaultdict(dict))
    for report in reports:
        for bench in report["benchmarks"]:
            info = bench["extra_info"]
            case = info.get("case")
            if case == "floor":
                cases["floor"][(info["kind"], info["dtype"])][info["impl"]] = best(bench)
            elif case == "epoch" and "dtype" in info:
                row = cases["epoch"][(info["dtype"], info["batch_size"])]
                row[info["impl"]] = best(bench)
                for threads in ("1 core", "all cores"):
                    if f"paired_floor {threads}" in info:
                        row[f"{info['impl']} paired floor {threads}"] = info[f"paired_floor {threads}"]
            elif case == "small":
                key = (info["data"], info["optimizer"], info["batch_size"])
                cases["small"][key][info["impl"]] = best(bench) / info["epochs"]
                if "paired_scikit-learn" in info:  # timed between the pygdx rounds (bench_small.py)
                    cases["small"][key]["scikit-learn"] = info["paired_scikit-learn"] / info["epochs"]
    return cases


def floor_table(floors: dict) -> list[str]:
    lines = ["| floor | dtype | 1 core | all cores | NumPy X @ w | NumPy / all cores |", "|---|---|---|---|---|---|"]
    for (kind, dtype), row in sorted(floors.items()):
        one, every, numpy = row.get("floor 1 core"), row.get("floor all cores"), row.get("numpy X@w")
        cells = [kind, dtype, format_time(one) if one else "-", format_time(every) if every else "-",
                 format_time(numpy) if numpy else "-", f"{numpy / every:.2f}x" if numpy and every else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def epoch_table(epochs: dict, floors: dict) -> list[str]:
    """x floor uses the floors measured between the epoch's rounds (paired) when the report
    has them, else the floor cases of the run."""
    lines = ["| epoch | dtype | pygdx | time | x floor 1 core | x floor all cores | vs | speed-up |",
             "|---|---|---|---|---|---|---|---|"]
    for (dtype, batch), row in sorted(epochs.items(), key=lambda kv: (kv[0][0], kv[0][1] or 10**9)):
        run_floor = floors.get(("streaming" if batch is None else "shuffled", dtype), {})
        label = "full batch (vs streaming floor)" if batch is None else f"bs={batch} (vs shuffled floor)"
        others = {impl: t for impl, t in row.items() if not impl.startswith("pygdx")}
        for impl in sorted(i for i in row if i.startswith("pygdx") and " paired floor " not in i):
            ours = row[impl]
            ratios = []
            for threads in ("1 core", "all cores"):
                floor = row.get(f"{impl} paired floor {threads}", run_floor.get(f"floor {threads}"))
                ratios.append(f"**{ours / floor:.2f}x**" if floor else "-")
            vs = "; ".join(others) or "-"
            speedups = "; ".join(f"{t / ours:.2f}x" for t in others.values()) or "-"
            lines.append(f"| {label} | {dtype} | {impl.removeprefix('pygdx').strip() or 'default'} | "
                         f"{format_time(ours)} | {ratios[0]} | {ratios[1]} | {vs} | {speedups} |")
    return lines


def small_table(small: dict) -> list[str]:
    lines = ["| data | optimizer | batch | pygdx / epoch | scikit-learn / epoch | NumPy loop / epoch | "
             "pygdx / scikit-learn | NumPy / pygdx |", "|---|---|---|---|---|---|---|---|"]
    for (data, optimizer, batch), row in sorted(small.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)):
        ours, sk, numpy = row.get("pygdx"), row.get("scikit-learn"), row.get("numpy")
        cells = [data, optimizer, str(batch or "full"), format_time(ours) if ours else "-",
                 format_time(sk) if sk else "-", format_time(numpy) if numpy else "-",
                 f"{ours / sk:.2f}x" if ours and sk else "-", f"{numpy / ours:.2f}x" if ours and numpy else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def tables(reports: list[dict]) -> str:
    cases = collect(reports)
    parts = []
    if cases["floor"]:
        parts.append("\n".join(floor_table(cases["floor"])))
    if cases["epoch"]:
        parts.append("\n".join(epoch_table(cases["epoch"], cases["floor"])))
    if cases["small"]:
        parts.append("\n".join(small_table(cases["small"])))
    return "\n\n".join(parts)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python benchmarks/ratios_floor.py REPORT.json [MORE.json ...]")
    loaded = []
    for path in sys.argv[1:]:
        with open(path) as f:
            loaded.append(json.load(f))
    print(tables(loaded))

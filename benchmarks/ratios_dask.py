"""Turn a bench_dask.py JSON report into the Markdown table of benchmarks/RESULTS_dask.md.

    PYGDX_BENCH_DASK_LARGE=1 pytest benchmarks/bench_dask.py --benchmark-enable --benchmark-json=dask.json
    python benchmarks/ratios_dask.py dask.json

Times are the minimum over rounds (the least disturbed by other work on the machine);
steps per second are the optimizer steps of one benchmarked call divided by that time.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

IMPL_ORDER = ["memory-fit", "memory-kernel-1t", "memory-kernel-2t", "dask-threads", "distributed-1w",
              "distributed-2w"]


def table(report: dict) -> str:
    groups: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for bench in report["benchmarks"]:
        info = bench["extra_info"]
        groups[(info["mode"], info["problem"], info["rows"])][info["impl"]] = {"min": bench["stats"]["min"], **info}
    lines = ["| mode | problem | rows x features | implementation | time per step | steps/s | vs memory-fit | "
             "distributed 2w / 1w speed-up |", "|---|---|---|---|---|---|---|---|"]
    for (mode, problem, rows), row in sorted(groups.items()):
        base = row["memory-fit"]["min"] / row["memory-fit"]["steps"]
        scaling = ""
        if "distributed-1w" in row and "distributed-2w" in row:
            scaling = f"{row['distributed-1w']['min'] / row['distributed-2w']['min']:.2f}x"
        for impl in sorted(row, key=IMPL_ORDER.index):
            cell = row[impl]
            per_step = cell["min"] / cell["steps"]
            lines.append(f"| {mode} | {problem} | {rows:,} x {cell['features']} | {impl} | {per_step * 1e3:.2f} ms | "
                         f"{1.0 / per_step:,.0f} | {base / per_step:.2f}x | "
                         f"{scaling if impl == 'distributed-2w' else ''} |")
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(table(json.load(f)))

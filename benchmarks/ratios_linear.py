"""Turn a bench_linear.py JSON report into the Markdown tables of benchmarks/RESULTS_linear.md.

    pytest benchmarks/bench_linear.py --benchmark-enable --benchmark-json=linear.json --benchmark-group-by=group
    python benchmarks/ratios_linear.py linear.json

Times are the minimum over rounds (the least disturbed by other work on the machine).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def tables(report: dict) -> str:
    groups: dict[str, dict[str, dict]] = defaultdict(dict)
    for bench in report["benchmarks"]:
        groups[bench["group"]][bench["extra_info"]["impl"]] = {"min": bench["stats"]["min"], **bench["extra_info"]}
    lines = ["| group | pygdx | baseline | baseline / pygdx | final loss pygdx / baseline |", "|---|---|---|---|---|"]
    for group, row in sorted(groups.items()):
        if group == "full-batch-gradient":
            continue
        ours_impls = sorted(impl for impl in row if impl.startswith("pygdx"))
        for impl, other in sorted(row.items()):
            if impl.startswith("pygdx"):
                continue
            for mine in ours_impls:
                ours = row[mine]
                label = ms(ours["min"]) if mine == "pygdx" else f"{mine.removeprefix('pygdx ')}: {ms(ours['min'])}"
                loss = f"{ours['final_loss']:.5g} / {other['final_loss']:.5g}"
                lines.append(f"| {group} | {label} | {impl}: {ms(other['min'])} | "
                             f"**{other['min'] / ours['min']:.1f}x** | {loss} |")
    full = groups.get("full-batch-gradient")
    if full:
        ours = full["pygdx"]["min"]
        lines += [
            "",
            "| full-batch loss + gradient | time | relative to pygdx |",
            "|---|---|---|",
            f"| pygdx (one pass, all cores) | {ms(ours)} | 1 |",
            f"| one read of X (X @ w) | {ms(full['one-read']['min'])} | pygdx / X@w = "
            f"**{ours / full['one-read']['min']:.2f}x** |",
            f"| NumPy X.T @ (X @ w - y) | {ms(full['numpy-gradient']['min'])} | NumPy / pygdx = "
            f"**{full['numpy-gradient']['min'] / ours:.2f}x** |",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(tables(json.load(f)))

"""Turn a bench_optim.py JSON report into the Markdown table of benchmarks/RESULTS.md.

    pytest benchmarks/bench_optim.py --benchmark-enable --benchmark-json=optim.json
    python benchmarks/ratios.py optim.json

Times are the minimum over rounds (the least disturbed by other work on the machine);
ratios are other implementation / pygdx, so > 1 means pygdx is faster.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def table(report: dict) -> str:
    times: dict[tuple, dict[str, float]] = defaultdict(dict)
    for bench in report["benchmarks"]:
        info = bench["extra_info"]
        times[(info["rule"], info["dtype"], info["size"])][info["impl"]] = bench["stats"]["min"]
    threaded = sorted({impl for row in times.values() for impl in row if impl.startswith("pygdx-") and impl != "pygdx-1t"})
    lines = [
        "| rule | dtype | P | pygdx 1 thread | NumPy reference | torch 1 thread | NumPy / pygdx | torch / pygdx |"
        + "".join(f" {t} | torch-{t.split('-')[1]} / {t} |" for t in threaded),
        "|---|---|---|---|---|---|---|---|" + "---|---|" * len(threaded),
    ]
    for (rule, dtype, size), row in sorted(times.items()):
        ours = row["pygdx-1t"]
        cells = [rule, dtype, f"{size:.0e}", format_time(ours), format_time(row["numpy"])]
        torch = row.get("torch-1t")
        cells += [format_time(torch) if torch else "-", f"{row['numpy'] / ours:.1f}x",
                  f"{torch / ours:.2f}x" if torch else "-"]
        for impl in threaded:
            other = row.get(f"torch-{impl.split('-')[1]}")
            cells += [format_time(row[impl]) if impl in row else "-",
                      f"{other / row[impl]:.2f}x" if impl in row and other else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(table(json.load(f)))

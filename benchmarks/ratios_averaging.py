"""Print the cost of averaged SGD from a bench_averaging.py JSON report: per group, the
minimum time of each implementation and averaged / plain (and averaged / scikit-learn's
averaged SGD where it ran), measured in the same run.

    pytest benchmarks/bench_averaging.py --benchmark-enable --benchmark-json=averaging.json
    python benchmarks/ratios_averaging.py averaging.json
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

from ratios import format_time  # benchmarks/ratios.py: this script's folder is on sys.path


def main(path: str) -> None:
    with open(path) as fh:
        report = json.load(fh)
    groups: dict[str, dict[str, float]] = defaultdict(dict)
    for bench in report["benchmarks"]:
        groups[bench["group"]][bench["extra_info"]["impl"]] = bench["stats"]["min"]
    print("| group | plain | averaged | averaged / plain | averaged / scikit-learn's averaged |")
    print("|---|---|---|---|---|")
    for group, times in sorted(groups.items()):
        plain, averaged = times.get("plain"), times.get("averaged")
        if plain is None or averaged is None:
            continue
        theirs = times.get("scikit-learn")
        versus = f"{averaged / theirs:.2f}x" if theirs else "-"
        print(f"| {group} | {format_time(plain)} | {format_time(averaged)} | {averaged / plain:.2f}x | {versus} |")


if __name__ == "__main__":
    main(sys.argv[1])
